"""The local stack's product requests: three proposals with polls, one near its threshold (idempotent: fixed IDs,
created only when absent)."""

from __future__ import annotations

from typing import Any

from chalicelib.c2b import lifecycle, reading, rules
from chalicelib.c2b.models import PollShardItem, RequestItem, request_pk
from chalicelib.core import clock
from chalicelib.core.dynamo.tx import Tx, TxCancelled

SEEDS: list[dict[str, Any]] = [
    {"request_id": "pr_5eed000000000001", "title": "无糖桂花乌龙冷泡茶", "category": "茶饮", "threshold": 50,
     "description": "希望推出无糖的桂花乌龙冷泡茶包，一盒 20 包，办公室冷水就能泡。", "target_price_fen": 5900,
     "polls": [("您更喜欢哪种包装？", ["铁罐", "纸盒", "环保袋"], True),
               ("可接受的价格区间？", ["39-49 元", "49-59 元", "59-69 元"], False)]},
    {"request_id": "pr_5eed000000000002", "title": "旅行装护手霜三支礼盒", "category": "个护", "threshold": 200,
     "description": "每支 30ml，三种香型，适合出差随身携带。", "target_price_fen": 9900,
     "polls": [("最想要的香型？", ["白茶", "玫瑰", "雪松"], False)]},
    {"request_id": "pr_5eed000000000003", "title": "杭州试点会员日", "category": "会员活动", "threshold": 100,
     "description": "建议在杭州门店试点每月一次的会员日，会员专享折扣和新品试用。", "target_price_fen": None,
     "polls": []},
]


def seed_defaults() -> None:
    at = clock.iso()
    for seed in SEEDS:
        rid = seed["request_id"]
        if reading.read(rid).request is not None:
            continue
        polls = [{"poll_id": reading.POLL_IDS[i], "question": q, "supporters_only": only, "closed": False,
                  "options": [{"option_id": f"o{j}", "label": label} for j, label in enumerate(options, 1)]}
                 for i, (q, options, only) in enumerate(seed["polls"])]
        request = RequestItem(pk=request_pk(rid), sk="A#REQ", request_id=rid, customer_id="seed", title=seed["title"],
                              description=seed["description"], category=seed["category"],
                              target_price_fen=seed["target_price_fen"], status="open", threshold=seed["threshold"],
                              history=[{"status": "open", "note": None, "at": at, "by": "seed"}], polls=polls,
                              poll_count=len(polls), created_at=at, updated_at=at)
        tx = Tx()
        tx.put("request", request, RequestItem.pk.does_not_exist())
        for n, head in enumerate(rules.share(seed["threshold"])):
            shard = reading.shard_key(rid, n)
            shard.cnt, shard.qty, shard.head, shard.ver, shard.phase = 0, 0, head, 0, rules.OPEN
            tx.put(f"shard:{n}", shard)
        for item in lifecycle.listing_items(request):
            tx.put(f"listing:{item.sk}", item)
        for poll in polls:
            for n in range(rules.POLL_SHARDS):
                shard_p: PollShardItem = reading.poll_shard_key(rid, poll["poll_id"], n)
                for option in poll["options"]:
                    setattr(shard_p, option["option_id"], 0)
                tx.put(f"poll:{poll['poll_id']}:{n}", shard_p)
        try:
            tx.commit()
        except TxCancelled:
            continue  # another seeder got there first
