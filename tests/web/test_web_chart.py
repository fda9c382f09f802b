"""The small indicator chart: years run left to right, better values sit higher, examples are marked."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tasks.templatetags.luoshi import chart_geometry, num


def test_points_run_left_to_right_by_year_and_higher_values_sit_higher():
    chart = chart_geometry(
        [(2027, D("4"), "target", False), (2022, D("2.8"), "baseline", True), (2025, D("3.52"), "interim", True)]
    )
    assert [p.year for p in chart.points] == [2022, 2025, 2027]
    xs, ys = [p.x for p in chart.points], [p.y for p in chart.points]
    assert xs == sorted(xs) and xs[0] == chart.left and xs[-1] == chart.right
    assert ys == sorted(ys, reverse=True)  # SVG y grows downwards
    assert all(chart.top <= y <= chart.bottom for y in ys)
    assert chart.path.startswith(f"M{xs[0]},{ys[0]} L")
    assert chart.has_illustrative


def test_a_falling_indicator_draws_a_falling_line():
    chart = chart_geometry([(2022, D("0.5"), "baseline", False), (2027, D("0.3"), "target", False)])
    assert chart.points[0].y < chart.points[1].y
    assert not chart.has_illustrative


def test_a_year_given_twice_keeps_the_last_value_and_one_point_draws_nothing():
    chart = chart_geometry(
        [(2022, D("1"), "baseline", False), (2027, D("2"), "interim", True), (2027, D("3"), "target", False)]
    )
    assert [(p.year, p.value, p.kind) for p in chart.points] == [(2022, D("1"), "baseline"), (2027, D("3"), "target")]
    assert chart_geometry([(2027, D("3"), "target", False)]) is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [(D("25.00"), "25"), (D("3.50"), "3.5"), (D("4E+1"), "40"), (D("0.0000"), "0"), (None, "—"), (7, "7")],
)
def test_numbers_show_without_trailing_zeros(value, shown):
    assert num(value) == shown
