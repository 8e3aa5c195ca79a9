"""The agents' console: the web console's files (``static/``, served at ``/console/``) and the 360 view of a member,
assembled from every area's section."""

from chalicelib.core.area import Area

AREA = Area(
    name="console",
    routes=("staff", "static"),
    member_360_none="the console shows the other areas' sections; it keeps nothing of its own",
)
