"""Draw the badge artwork: art/<id>.svg for display and art/<id>.png (rendered from it) for baking.

Run from the project root after changing badges.yaml:  .venv/bin/python badges/make_artwork.py
Rendering the PNGs needs CairoSVG (pip install cairosvg); the app itself does not.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

HERE = Path(__file__).resolve().parent
# One colour per domain, and gold for the whole micro-credential.
COLOURS = {"PI": ("#0b5c8a", "#e3f0f8"), "PKS": ("#1f6e3a", "#e5f3e9"), "PR": ("#8a3b12", "#fbeadf"),
           "PD": ("#5b2a86", "#efe6f7"), "MCF": ("#8a6100", "#fff4d6")}
DOMAIN_OF = {"SDS": "PI", "CDM": "PKS", "INN": "PKS", "COM": "PR", "COL": "PR", "PRS": "PR", "DSP": "PD"}


def svg_for(badge: dict) -> str:
    """A round badge: ring in the domain colour, the code large, the short name below."""
    code = badge["id"]
    dark, light = COLOURS[DOMAIN_OF.get(code, code)]
    label = badge["name"].split(": ", 1)[-1]
    lines = textwrap.wrap(label, 18)[:3]
    first_y = 168 - 9 * (len(lines) - 1)
    label_svg = "".join(
        f'<text x="128" y="{first_y + 18 * i}" font-size="15" font-weight="600" text-anchor="middle" '
        f'fill="{dark}">{escape(line)}</text>' for i, line in enumerate(lines))
    kind = "CREDENTIAL" if code == "MCF" else ("DOMAIN" if code in COLOURS else "COMPETENCY")
    # The whole micro-credential gets a second, solid inner ring.
    extra = f'<circle cx="128" cy="128" r="90" fill="none" stroke="{dark}" stroke-width="3"/>' if code == "MCF" else ""
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256" role="img" aria-label="{escape(badge['name'])}">
  <title>{escape(badge['name'])}</title>
  <circle cx="128" cy="128" r="124" fill="{dark}"/>
  <circle cx="128" cy="128" r="104" fill="{light}"/>
  <circle cx="128" cy="128" r="98" fill="none" stroke="{dark}" stroke-width="2" stroke-dasharray="4 5"/>
  {extra}
  <text x="128" y="72" font-family="DejaVu Sans, Arial, sans-serif" font-size="11" font-weight="700" letter-spacing="2" text-anchor="middle" fill="{dark}">MCF {kind}</text>
  <text x="128" y="132" font-family="DejaVu Sans, Arial, sans-serif" font-size="{52 if len(code) <= 3 else 44}" font-weight="800" text-anchor="middle" fill="{dark}">{escape(code)}</text>
  <g font-family="DejaVu Sans, Arial, sans-serif">{label_svg}</g>
  <text x="128" y="238" font-family="DejaVu Sans, Arial, sans-serif" font-size="11" font-weight="700" text-anchor="middle" fill="#ffffff">MENTORING</text>
</svg>
"""


def main() -> None:
    """Write every badge's SVG and PNG."""
    import cairosvg

    badges = yaml.safe_load((HERE / "badges.yaml").read_text())["badge_classes"]
    for badge in badges:
        svg = svg_for(badge)
        (HERE / "art" / f"{badge['image']}.svg").write_text(svg, encoding="utf-8")
        cairosvg.svg2png(bytestring=svg.encode(), write_to=str(HERE / "art" / f"{badge['image']}.png"),
                         output_width=256, output_height=256)
    print(f"wrote {len(badges)} badges to {HERE / 'art'}")


if __name__ == "__main__":
    main()
