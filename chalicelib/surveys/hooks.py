"""Merges: the absorbed customer's surveys follow the survivor (``Area.merge``), so the member answers them under the
one customer every token now names, and a service voided later finds its survey there.

Each survey moves with its service's marker (same survey ID, same service: issuing the service again still finds the
marker and puts nothing). The survey is deleted from the absorbed partition on condition of the status read (an
answer in between makes the merge answer 503 and be tried again, never lose the answer). A callback case stays where
every case stays, under the absorbed ID; the points already moved with the points area's own merge.
"""

from __future__ import annotations

from chalicelib.core.dynamo import keys, paging
from chalicelib.core.dynamo.tx import Tx
from chalicelib.identity.public import CustomerItem
from chalicelib.surveys import issuing
from chalicelib.surveys.models import SURVEY_PREFIX, ServiceMarkerItem, SurveyItem

MAX_MERGED = 5
"""Surveys moved in the merge transaction (four items each, in a transaction shared with every other area's items):
only a customer without a verified phone is ever absorbed, a short-lived account with few services behind it."""


def merge(tx: Tx, absorbed: CustomerItem, survivor: CustomerItem) -> None:
    """The absorbed customer's newest ``MAX_MERGED`` surveys and their markers move to the survivor."""
    raw = paging.newest_page(absorbed.customer_id, SURVEY_PREFIX, MAX_MERGED, None, consistent=True)[0]
    pk = keys.customer_pk(survivor.customer_id)
    for n, item in enumerate(SurveyItem.from_raw_data(r) for r in raw):
        moved = SurveyItem.from_raw_data(item.serialize())
        moved.pk, moved.customer_id = pk, survivor.customer_id
        tx.delete(f"survey_out:{n}", item, SurveyItem.status == item.status)
        tx.put(f"survey_in:{n}", moved, SurveyItem.pk.does_not_exist())
        marker_sk = issuing.marker_sk(item.kind, item.subject_id)
        tx.delete(f"survey_marker_out:{n}", ServiceMarkerItem(pk=item.pk, sk=marker_sk))
        tx.put(f"survey_marker_in:{n}", ServiceMarkerItem(pk=pk, sk=marker_sk, survey_id=item.survey_id,
                                                          issued_at=item.issued_at),
               ServiceMarkerItem.pk.does_not_exist())
