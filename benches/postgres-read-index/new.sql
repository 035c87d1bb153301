SELECT micro.write_difference((SELECT entries FROM micro.payloads WHERE n = (SELECT nextval('micro.step') % 2)));
