SELECT micro.apply_changes(c.removed, c.added) FROM micro.changes c WHERE c.n = (SELECT nextval('micro.step') % 2);
