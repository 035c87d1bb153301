"""The booking history (finished seat bookings leave their session's document) and the
instant of each request record (for pruning). Records stored before get theirs from their body
(the engine's JSON holds ``recorded_at``); session documents need no change: the engine moves
their finished bookings out with each session's next change."""

from datetime import datetime

from django.db import migrations, models


def recorded_at_from_body(apps, schema_editor):
    import json

    RequestRecord = apps.get_model("lessons", "RequestRecord")
    for record in RequestRecord.objects.filter(recorded_at__isnull=True).iterator():
        try:
            at = json.loads(record.body)["recorded_at"]
            record.recorded_at = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a damaged record: loading it reports it; it is never pruned
        record.save(update_fields=["recorded_at"])


class Migration(migrations.Migration):

    dependencies = [
        ('lessons', '0002_offers'),
    ]

    operations = [
        migrations.CreateModel(
            name='FinishedBooking',
            fields=[
                ('booking_id', models.UUIDField(primary_key=True, serialize=False)),
                ('session_id', models.UUIDField(db_index=True)),
                ('document', models.TextField(help_text="The engine's JSON of the booking, exactly as committed.")),
            ],
        ),
        migrations.AddField(
            model_name='requestrecord',
            name='recorded_at',
            field=models.DateTimeField(db_index=True, help_text='When the engine decided the command (for prune_requests).', null=True),
        ),
        migrations.RunPython(recorded_at_from_body, migrations.RunPython.noop),
    ]
