"""A live class: one teacher, many phones (design.md, "A live class")."""
