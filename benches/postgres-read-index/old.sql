SELECT micro.rewrite_all((SELECT entries FROM micro.payloads WHERE n = (SELECT nextval('micro.step') % 2)));
