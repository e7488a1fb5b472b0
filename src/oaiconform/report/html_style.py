"""What every part of report.html shares: colours, the stylesheet, the one small script.

All inline: the page is one file that opens offline and loads nothing.
"""

from __future__ import annotations

from html import escape

STATUS_COLORS = {  # one per feature status, in the order the cards show them
    "passed": "#1a7f37",
    "flaky": "#1b7c83",
    "failed": "#cf222e",
    "error": "#8250df",
    "not_implemented": "#9a6700",
    "partial": "#bc4c00",
    "not_applicable": "#57606a",
    "skipped": "#8c959f",
}
OUTCOME_COLORS = {
    **STATUS_COLORS,
    "not_run": STATUS_COLORS["partial"],
}
IMPACT_COLORS = {
    "breaks-clients": "#cf222e",
    "wrong-behaviour": "#bc4c00",
    "spec-literal": "#9a6700",
    "advisory": "#57606a",
}

STYLE = """
body{font:14px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:76rem;color:#1f2328;
padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}
.meta{color:#59636e;margin-bottom:1rem}.cards{display:flex;gap:.6rem;margin:.6rem 0;flex-wrap:wrap}
.card{border:1px solid #d1d9e0;border-radius:8px;padding:.2rem .7rem;min-width:5rem;font-size:12px}
.card b{display:block;font-size:1.2rem}td.time{white-space:nowrap}
.bar{display:flex;height:12px;border-radius:6px;
overflow:hidden;background:#eaeef2;min-width:12rem}table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d1d9e0;vertical-align:top}
.badge{color:#fff;border-radius:1rem;padding:.05rem .6rem;font-size:12px;white-space:nowrap}
.known{background:#6e7781}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:.5rem;border-radius:6px;
margin:.25rem 0;font-size:12px;max-height:14em;overflow:auto}.muted{color:#59636e}
details summary{cursor:pointer;margin:.5rem 0}
.fail{border-left:4px solid #cf222e;padding:.25rem .75rem;margin:.75rem 0}
.repro{position:relative}.repro button,.copy{font:12px system-ui,sans-serif;cursor:pointer;
border:1px solid #d1d9e0;border-radius:6px;background:#fff;padding:.1rem .5rem}
.repro button{position:absolute;top:.3rem;right:.3rem}
.area{display:flex;gap:.5rem;align-items:flex-start;margin:.35rem 0}
.area>b{width:8.5rem;flex:none;font-weight:600;padding-top:.15rem}
.cells{display:flex;flex-wrap:wrap;gap:3px}
.cell{border:0;color:#fff;border-radius:4px;padding:.15rem .45rem;font:12px system-ui,sans-serif;
cursor:pointer}.cell.tiny{width:13px;height:13px;padding:0;border-radius:2px}
.cell[aria-expanded=true]{outline:2px solid #1f2328;outline-offset:1px}
.panel{border:1px solid #d1d9e0;border-radius:8px;padding:.5rem .9rem;margin:.4rem 0 .8rem 9rem}
.legend{display:flex;flex-wrap:wrap;gap:.8rem;font-size:12px;margin:.3rem 0}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:.3rem}
figure{margin:1rem 0}figcaption{margin-bottom:.3rem}.charts{display:flex;flex-wrap:wrap;gap:2rem}
"""

# Cells open their tests; copy buttons copy the text of the element they name. The clipboard
# API needs a secure context and permission, which a file:// page may lack: then the text is
# copied through a selection, and if that fails too it is left selected for Ctrl+C.
SCRIPT = """
(function(){
function copied(button, ok){button.textContent = ok ? 'copied' : 'selected: press Ctrl+C';}
function bySelection(node){
  var range = document.createRange(); range.selectNodeContents(node);
  var selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
  try { return document.execCommand('copy'); } catch (e) { return false; }
}
document.addEventListener('click', function(event){
  var cell = event.target.closest('[data-panel]');
  if (cell) {
    var panel = document.getElementById(cell.getAttribute('data-panel'));
    var open = panel.hidden;
    cell.closest('.grid-area').querySelectorAll('[data-panel]').forEach(function(other){
      other.setAttribute('aria-expanded', 'false');
      document.getElementById(other.getAttribute('data-panel')).hidden = true;
    });
    panel.hidden = !open; cell.setAttribute('aria-expanded', open ? 'true' : 'false');
    return;
  }
  var button = event.target.closest('[data-copy]');
  if (!button) return;
  var node = document.getElementById(button.getAttribute('data-copy'));
  var text = node.textContent;
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function(){ copied(button, true); },
      function(){ copied(button, bySelection(node)); });
  } else { copied(button, bySelection(node)); }
});
})();
"""


def badge(status: str, colors: dict[str, str] = OUTCOME_COLORS) -> str:
    color = colors.get(status, "#8c959f")
    return (
        f'<span class="badge" style="background:{color}">{escape(status.replace("_", " "))}</span>'
    )


def impact_badge(impact: str) -> str:
    return badge(impact, IMPACT_COLORS)


def copyable(element_id: str, text: str, label: str = "copy") -> str:
    """A <pre> with a button that copies its text (the curl repro)."""
    return (
        f'<div class="repro"><pre id="{element_id}">{escape(text)}</pre>'
        f'<button type="button" class="copy" data-copy="{element_id}">{escape(label)}</button>'
        "</div>"
    )
