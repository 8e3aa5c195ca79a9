"""The local stack: everything ``make run`` starts and the commands that work against it (see ``runner``)."""
