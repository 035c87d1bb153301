"""The read side: the read index (the engine's entries for each session and lesson, what the
agendas, the approval queue and what starts scan) and outbox positions in commit order (a
one-row counter). Sessions and lessons stored before get their entries here, computed by the
engine from their documents (``GroupSession.read_entries()``, ``Lesson.read_entries()``); events
stored before get positions in the order they were written."""

import django.db.models.deletion
import lessons.models
from django.db import migrations, models


def fill(apps, schema_editor):
    import booking_engine as booking

    OutboxEvent = apps.get_model("lessons", "OutboxEvent")
    OutboxCounter = apps.get_model("lessons", "OutboxCounter")
    ReadIndexEntry = apps.get_model("lessons", "ReadIndexEntry")
    last = 0
    for event in OutboxEvent.objects.order_by("id").only("id").iterator():
        last += 1
        OutboxEvent.objects.filter(pk=event.pk).update(position=last)
    OutboxCounter.objects.create(pk=1, last=last)
    for kind, decode in (("session", booking.GroupSession), ("lesson", booking.Lesson)):
        model = apps.get_model("lessons", "GroupSession" if kind == "session" else "Lesson")
        for id, document in model.objects.values_list("pk", "document").iterator():
            ReadIndexEntry.objects.bulk_create(
                ReadIndexEntry(index=index, partition=partition, sort=sort, **{f"{kind}_id": id})
                for index, partition, sort in decode.from_document(document).read_entries()
            )


class Migration(migrations.Migration):

    dependencies = [
        ('lessons', '0003_booking_history'),
    ]

    operations = [
        migrations.CreateModel(
            name='OutboxCounter',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('last', models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name='outboxevent',
            name='position',
            field=models.PositiveBigIntegerField(help_text='1, 2, ... in commit order (from OutboxCounter); never reused.', null=True, unique=True),
        ),
        migrations.CreateModel(
            name='ReadIndexEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('index', models.CharField(max_length=20)),
                ('partition', models.CharField(blank=True, help_text="A user id, or empty for 'starts'.", max_length=36)),
                ('sort', lessons.models.ByteOrderedCharField(max_length=100)),
                ('lesson', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='lessons.lesson')),
                ('session', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='lessons.groupsession')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('index', 'partition', 'sort'), name='one_entry_per_place')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
