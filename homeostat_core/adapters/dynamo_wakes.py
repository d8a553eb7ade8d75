"""WakeStore on DynamoDB: one item per repository, `pk = wake#<repo>`, `sk = wake`, in the runs
table (docs/STATE.md). Every change is one conditional UpdateItem, so of concurrent deliveries
exactly one claims a wake. Plain boto3, not PynamoDB: the webhook's cold start stays small."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property

from homeostat_core.attempts import parse_utc_iso, to_utc_iso
from homeostat_core.ports import PortError
from homeostat_core.wake_ports import WakeState

WAKE_PREFIX = "wake#"
WAKE_SK = "wake"
# An idle repository's item goes (TTL) after this; its next report starts without a last run.
WAKE_TTL = timedelta(days=30)


class WakeStoreError(PortError):
    """DynamoDB refused or failed a wake read or write (not a lost race)."""


def wake_key(repo: str) -> dict:
    return {"pk": {"S": WAKE_PREFIX + repo.lower()}, "sk": {"S": WAKE_SK}}


class DynamoWakeStore:
    def __init__(
        self, table: str, *, session=None, region: str | None = None, endpoint_url: str | None = None
    ):
        self.table = table
        self._session = session
        self._region = region
        self._endpoint_url = endpoint_url

    @cached_property
    def _client(self):
        import boto3  # lazy: created after moto's mock starts

        return (self._session or boto3).client(
            "dynamodb", region_name=self._region, endpoint_url=self._endpoint_url
        )

    def get(self, repo: str) -> WakeState | None:
        item = self._call(
            "get",
            lambda: self._client.get_item(TableName=self.table, Key=wake_key(repo), ConsistentRead=True),
        )
        item = item.get("Item")
        if not item:
            return None
        return WakeState(
            pending=item.get("pending", {}).get("BOOL", False),
            due_at=_time(item, "dueAt"),
            last_run_at=_time(item, "lastRunAt"),
            version=int(item["version"]["N"]),
            last_report_at=_time(item, "lastReportAt"),
        )

    def claim(self, repo: str, due_at: datetime, seen: WakeState | None) -> bool:
        values = {
            ":t": {"BOOL": True},
            ":due": {"S": to_utc_iso(due_at)},
            ":one": {"N": "1"},
            ":expires": {"N": str(int((due_at + WAKE_TTL).timestamp()))},
        }
        if seen is None:
            condition = "attribute_not_exists(pk)"
        else:
            condition = "version = :seen AND pending <> :t"
            values[":seen"] = {"N": str(seen.version)}
        return self._conditional(
            UpdateExpression="SET pending = :t, dueAt = :due, expiresAt = :expires REMOVE lastReportAt ADD version :one",
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
            Key=wake_key(repo),
        )

    def heard(self, repo: str, at: datetime) -> None:
        # Only moves forward, only on a pending wake; no version change (claims race on version,
        # and a report joining a wake must not make a concurrent claim fail or succeed).
        self._conditional(
            UpdateExpression="SET lastReportAt = :at",
            ConditionExpression="pending = :t AND (attribute_not_exists(lastReportAt) OR lastReportAt < :at)",
            ExpressionAttributeValues={":t": {"BOOL": True}, ":at": {"S": to_utc_iso(at)}},
            Key=wake_key(repo),
        )

    def fire(self, repo: str, due_at: datetime, now: datetime) -> bool:
        due = {"S": to_utc_iso(due_at)}
        fired = self._conditional(
            UpdateExpression="SET pending = :f, lastRunAt = :now, firedDue = :due ADD version :one",
            ConditionExpression="pending = :t AND dueAt = :due",
            ExpressionAttributeValues={
                ":t": {"BOOL": True},
                ":f": {"BOOL": False},
                ":due": due,
                ":now": {"S": to_utc_iso(now)},
                ":one": {"N": "1"},
            },
            Key=wake_key(repo),
        )
        if fired:
            return True
        item = self._call(
            "get",
            lambda: self._client.get_item(TableName=self.table, Key=wake_key(repo), ConsistentRead=True),
        )
        return item.get("Item", {}).get("firedDue") == due  # this wake fired already: a retry

    def _conditional(self, **update) -> bool:
        client = self._client
        try:
            client.update_item(TableName=self.table, **update)
        except client.exceptions.ConditionalCheckFailedException:
            return False
        except Exception as exc:  # botocore's ClientError and connection errors
            raise WakeStoreError(f"wake update failed: {exc}") from exc
        return True

    def _call(self, what: str, call):
        try:
            return call()
        except Exception as exc:  # botocore's ClientError and connection errors
            raise WakeStoreError(f"wake {what} failed: {exc}") from exc


def _time(item: dict, name: str) -> datetime | None:
    value = item.get(name, {}).get("S")
    return parse_utc_iso(value) if value else None
