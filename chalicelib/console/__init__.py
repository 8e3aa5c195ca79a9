"""The agents' console: the 360 view of a member, assembled from every area's section."""

from chalicelib.core.area import Area

AREA = Area(
    name="console",
    blueprints=("chalicelib.console.api",),
    member_360_none="the console shows the other areas' sections; it keeps nothing of its own",
)
