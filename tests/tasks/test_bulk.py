"""``tasks.bulk.insert``: the lean INSERT the round opening and the reminder sweep write with — rows read back, rows
that conflict skipped, nothing cut to fit, and the same statement whatever the number of rows on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import DataError, IntegrityError, connection, transaction

from notifications.models import Notification
from tasks import bulk

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)


def message(user, n: int, **fields) -> dict:
    return {"recipient_id": user.pk, "role": "reporter", "kind": "reminder", "level": 0, "slot": f"s{n}",
            "key": f"bulk:{n}|user:{user.pk}", "title": f"标题 {n}", "body": "", "url": "/", **fields}


@pytest.fixture
def user():
    return get_user_model().objects.create_user("bulk-user")


def test_returning_reads_back_only_the_rows_written_now(user):
    bulk.insert(Notification, [message(user, n) for n in range(3)], same={"created_at": NOW})
    rows = [message(user, n) for n in range(1, 6)]  # 1 and 2 exist already
    written = bulk.insert(Notification, rows, same={"created_at": NOW}, ignore_conflicts=True,
                          returning=("id", "key", "kind"))
    assert sorted(key for _pk, key, _kind in written) == [f"bulk:{n}|user:{user.pk}" for n in (3, 4, 5)]
    assert {kind for _pk, _key, kind in written} == {"reminder"}
    stored = dict(Notification.objects.values_list("key", "pk"))
    assert all(stored[key] == pk for pk, key, _kind in written)
    assert Notification.objects.count() == 6
    assert Notification.objects.get(key=f"bulk:4|user:{user.pk}").created_at == NOW


def test_nothing_is_read_back_unless_asked(user):
    assert bulk.insert(Notification, [message(user, 1)], same={"created_at": NOW}) == []
    assert bulk.insert(Notification, [], same={"created_at": NOW}, returning=("id",)) == []


def test_a_conflict_fails_the_insert_unless_told_to_skip_it(user):
    bulk.insert(Notification, [message(user, 1)], same={"created_at": NOW})
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert(Notification, [message(user, 1)], same={"created_at": NOW})


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not enforce a text column's length")
def test_a_text_too_long_for_its_column_is_refused_not_cut(user):
    """The arrays are cast to the column's type without its length: an explicit ``::varchar(300)`` would cut the
    title to fit, silently."""
    with pytest.raises(DataError), transaction.atomic():
        bulk.insert(Notification, [message(user, 1, title="长" * 301)], same={"created_at": NOW})
    assert not Notification.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="on SQLite the rows go by executemany")
def test_postgresql_writes_any_number_of_rows_with_one_statement_of_the_same_text(user):
    sent: list[tuple[str, int]] = []

    def keep(execute, sql, params, many, context):
        sent.append((sql, len(params)))
        return execute(sql, params, many, context)

    for count in (2, 700):
        with connection.execute_wrapper(keep):
            written = bulk.insert(Notification, [message(user, 1000 * count + n) for n in range(count)],
                                  same={"created_at": NOW}, ignore_conflicts=True, returning=("id",))
        assert len(written) == count
    assert len(sent) == 2 and sent[0] == sent[1]  # the same text and the same parameters: one array a column
    assert sent[0][1] == len([f for f in Notification._meta.concrete_fields if not f.primary_key])
    assert Notification.objects.count() == 702


def test_an_sqlite_too_old_for_returning_is_a_start_up_error(monkeypatch):
    monkeypatch.setattr(bulk, "SQLITE_MINIMUM", (99, 0, 0))
    errors = bulk.sqlite_new_enough()
    if connection.vendor == "sqlite":
        assert [error.id for error in errors] == ["tasks.E001"]
        assert "99.0.0 or newer" in errors[0].msg
    else:
        assert errors == []
    monkeypatch.setattr(bulk, "SQLITE_MINIMUM", (3, 0, 0))
    assert bulk.sqlite_new_enough() == []


def test_an_array_literal_spells_every_value_postgresql_reads_back_as_it_was(user):
    from decimal import Decimal

    assert bulk.array_literal([1, None, True, False, Decimal("1.50")]) == '{1,NULL,t,f,"1.50"}'
    assert bulk.array_literal(['a"b\\c', "", "NULL", "{x, y}"]) == '{"a\\"b\\\\c","","NULL","{x, y}"}'
    assert bulk.array_literal(["a", "b, c"]) == '{"a","b, c"}'  # nothing to escape: one join
    assert bulk.array_literal([None, None]) == "{NULL,NULL}" and bulk.array_literal([]) == "{}"
    assert bulk.array_literal(x for x in (3, 4)) == "{3,4}"
    assert bulk.array_literal([NOW, NOW]) == '{"2026-03-02T00:30:00+00:00","2026-03-02T00:30:00+00:00"}'
    if connection.vendor != "postgresql":
        return
    awkward = ['引号"在内', "反斜杠\\在内", "", "NULL", "{逗号, 括号}", " 空格 ", "换行\n在内", None]
    plain = ["", "NULL", "{逗号, 括号}", " 空格 ", "换行\n在内", "a", "b", "c"]  # the one-join path
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM unnest(%s::varchar[], %s::timestamptz[], %s::numeric[], %s::boolean[], "
                       "%s::text[])",
                       [bulk.array_literal(awkward), bulk.array_literal([NOW] * 8),
                        bulk.array_literal([Decimal("-1.25")] * 8), bulk.array_literal([True, None] * 4),
                        bulk.array_literal(plain)])
        rows = cursor.fetchall()
    assert [row[0] for row in rows] == awkward and [row[4] for row in rows] == plain
    assert {row[1] for row in rows} == {NOW} and {row[2] for row in rows} == {Decimal("-1.25")}
    assert [row[3] for row in rows] == [True, None] * 4
