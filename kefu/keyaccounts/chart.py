"""The what-if preview drawn as a grouped bar chart in inline SVG, server-side (pure Python, no JavaScript)."""

from __future__ import annotations

from html import escape


def tier_bars(tiers: list[dict], before: dict[str, int], after: dict[str, int], legend: tuple[str, str]) -> str:
    """Customers per tier before and after, two bars per tier; every text is escaped."""
    width, height, left, bottom, top = 640, 260, 48, 40, 28
    peak = max([*before.values(), *after.values(), 1])
    slot = (width - left - 10) / max(len(tiers), 1)
    bar = slot / 3
    scale = (height - bottom - top) / peak
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tier-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#888"/>',
    ]
    for i, tier in enumerate(tiers):
        x = left + i * slot + bar / 2
        for j, (counts, colour, kind) in enumerate(((before, "#9aa7b8", "before"), (after, "#c0392b", "after"))):
            n = counts.get(tier["code"], 0)
            h = n * scale
            bx = x + j * bar
            parts.append(
                f'<rect class="bar {kind}" data-tier="{escape(tier["code"])}" data-value="{n}" x="{bx:.1f}" '
                f'y="{height - bottom - h:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(str(tier['label']))}: {n}</title></rect>"
            )
            parts.append(
                f'<text x="{bx + bar / 2 - 1:.1f}" y="{height - bottom - h - 4:.1f}" font-size="11" '
                f'text-anchor="middle">{n}</text>'
            )
        parts.append(
            f'<text x="{x + bar:.1f}" y="{height - bottom + 16}" font-size="12" text-anchor="middle">'
            f"{escape(str(tier['label']))}</text>"
        )
    for j, (label, colour) in enumerate(zip(legend, ("#9aa7b8", "#c0392b"), strict=True)):
        parts.append(f'<rect x="{left + j * 120}" y="6" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{left + j * 120 + 16}" y="16" font-size="12">{escape(str(label))}</text>')
    parts.append("</svg>")
    return "".join(parts)
