"""How order lines are read: the reading plan (decided once per source) and its parts."""
