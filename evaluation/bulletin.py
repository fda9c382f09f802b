"""The bulletin (晾晒) of a published round as a PDF, drawn from the same ``leadership.MapPage`` as the print page:
title and as-of stamp, the legend with each colour's count, the map (districts on their boundaries, zones and
departments as tiles), the headline, then every track's ranking.

Drawn with ReportLab on the server (no browser): Chinese text in the PDF standard CID font STSong-Light, which
every PDF reader carries or substitutes, so nothing is embedded and the file stays small.
"""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Drawing, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from evaluation.leadership import MapPage
from evaluation.templatetags.judging import change, colour_label, signed, swatch

FONT = "STSong-Light"
NO_RESULT = "#e5e7eb"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _hex(page: MapPage, colour: str) -> colors.Color:
    found = swatch(page.spec, colour)
    return colors.HexColor(found.hex if found else NO_RESULT)


def _map(page: MapPage, width: float) -> Drawing | None:
    """The districts as polygons, scaled to ``width`` points (y flipped: SVG grows down, PDF up)."""
    if not page.regions:
        return None
    k = width / page.width
    height = page.height * k
    drawing = Drawing(width, height)
    for region in page.regions:
        fill = _hex(page, region.result.colour) if region.result else colors.HexColor(NO_RESULT)
        for ring in region.shape.rings:
            points = [v for x, y in ring for v in (x * k, height - y * k)]
            drawing.add(Polygon(points, fillColor=fill, strokeColor=colors.white, strokeWidth=0.4))
    for region in page.regions:
        if region.labelled:
            name = region.unit.display_name if region.unit else region.shape.name
            x, y = region.shape.label_x * k, height - region.shape.label_y * k - 2.5
            drawing.add(String(x, y, name, fontName=_font(), fontSize=6.5, textAnchor="middle"))
    return drawing


def _tiles(page: MapPage, width: float) -> Drawing | None:
    """Zones and departments (and every unit without a polygon) as small coloured tiles, a row per track."""
    rows = [(group.track.display_name if group.track else _("未分赛道"), group.results) for group in page.tiles]
    if not rows:
        return None
    per_row, tile_w, tile_h, gap = 8, (width - 60) / 8, 16, 2
    lines = sum((len(results) + per_row - 1) // per_row for _name, results in rows)
    height = lines * (tile_h + gap)
    drawing, y = Drawing(width, height), height
    for name, results in rows:
        for start in range(0, len(results), per_row):
            y -= tile_h + gap
            if start == 0:
                drawing.add(String(0, y + 5, name, fontName=_font(), fontSize=7))
            for i, result in enumerate(results[start:start + per_row]):
                x = 60 + i * tile_w
                drawing.add(Rect(x, y, tile_w - gap, tile_h, fillColor=_hex(page, result.colour),
                                 strokeColor=colors.white, strokeWidth=0.5))  # fmt: skip
                drawing.add(String(x + 3, y + 5, f"{result.unit.display_name} {result.score}"[:14], fontName=_font(),
                                   fontSize=6.5, fillColor=colors.black))  # fmt: skip
    return drawing


def bulletin_pdf(page: MapPage) -> bytes:
    font = _font()
    evaluation = page.evaluation
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    small = ParagraphStyle("small", fontName=font, fontSize=7.5, leading=10, textColor=colors.HexColor("#4a5563"))
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    width = A4[0] - 30 * mm
    published = evaluation.published_at
    stamp = _("数据截至 %(as_of)s · 第 %(version)s 版 · 评价规则 %(rule)s（第 %(rule_version)s 版） · "
              "发布于 %(published)s") % {
        "as_of": evaluation.as_of, "version": evaluation.version, "rule": evaluation.rule_set.name,
        "rule_version": evaluation.rule_set.version,
        "published": timezone.localtime(published).strftime("%Y-%m-%d %H:%M") if published else "—",
    }  # fmt: skip
    story: list = [
        Paragraph(_("%(period)s 赛马比拼晾晒") % {"period": evaluation.period}, title),
        Paragraph(evaluation.plan.display_title, body),
        Paragraph(stamp, small),
    ]
    if evaluation.illustrative:
        story.append(Paragraph(_("示例：根据演示用的示例历史评出，不是真实数据。"), small))
    legend = "　".join(f"<font color='{swatch(page.spec, colour).hex}'>■</font> {colour_label(page.spec, colour)} {n}"
                      for colour, n in page.headline.counts)  # fmt: skip
    story += [Spacer(1, 4), Paragraph(legend, body), Spacer(1, 4)]
    for part in (_map(page, width * 0.82), _tiles(page, width)):
        if part is not None:
            story += [part, Spacer(1, 6)]
    headline = page.headline
    facts = [
        (_("新亮红灯"), "、".join(r.unit.display_name for r in headline.new_reds) or _("无")),
        (_("进步最大"), "、".join(f"{r.unit.display_name} {change(r.rank_change)}" for r in headline.risers) or "—"),
        (_("退步最大"), "、".join(f"{r.unit.display_name} {change(r.rank_change)}" for r in headline.fallers) or "—"),
    ]
    story += [Paragraph(f"<b>{label}</b>：{text}", body) for label, text in facts]
    for group in page.ranking.tracks:
        name = group.track.display_name if group.track else _("未分赛道")
        story.append(Paragraph(name, heading))
        rows = [[_("名次"), _("单位"), _("得分"), _("颜色"), "F1", "F2", "F3", "F4", _("名次变化"), _("得分变化")]]
        fills = []
        for n, row in enumerate(group.rows, start=1):
            components = row.breakdown.get("components", {})
            rows.append([row.rank or "—", row.unit.display_name, row.score, colour_label(page.spec, row.colour),
                         *(components.get(key, "—") for key in ("F1", "F2", "F3", "F4")), change(row.rank_change),
                         signed(row.score_change)])  # fmt: skip
            fills.append(("BACKGROUND", (3, n), (3, n), _hex(page, row.colour)))
        table = Table(rows, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), font, 8), ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#d3d8df")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f2f5")), ("ALIGN", (2, 1), (2, -1), "RIGHT"),
            *fills,
        ]))  # fmt: skip
        story.append(table)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=f"{evaluation.period} {_('赛马比拼晾晒')}",
                            author=_("落实"), subject=evaluation.plan.display_title)  # fmt: skip
    doc.build(story)
    return out.getvalue()
