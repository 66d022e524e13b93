"""Look and client-side behaviour of the UI: theme, CSS and the chat-log script.

The theme uses local system fonts only (WenQuanYi Micro Hei, Noto Sans CJK,
then the platform sans-serif), so the page never fetches web fonts.
:data:`CHAT_JS` runs once when the chat log loads and delegates clicks:
``[n]`` scrolls its source card into view, the copy button copies the answer
with its sources, 👍/👎 send ``{turn, vote, comment}`` to the server through
the component's ``click`` event; each new turn is scrolled to the top of the chat box. This
module holds no Python logic.
"""

from __future__ import annotations

__all__ = ["CHAT_JS", "CSS", "FONTS", "make_theme"]

FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "sans-serif"]
MONO = ["DejaVu Sans Mono", "monospace"]


def make_theme():
    """A soft blue theme with local fonts only."""
    import gradio as gr

    return gr.themes.Soft(primary_hue="blue", secondary_hue="sky", neutral_hue="slate",
                          font=FONTS, font_mono=MONO)


CHAT_JS = r"""
// A new turn (its 正在检索… state, then its answer) is scrolled to the top of the chat box, so the
// question and the start of its answer are in view however long the conversation is.
{
  const box = element.closest('#chat-log') || element;
  let seen = '';
  new MutationObserver(() => {
    const turns = element.querySelectorAll('.turn');
    const last = turns[turns.length - 1];
    const key = last ? `${turns.length}:${last.querySelector('.searching') ? 'pending' : 'done'}` : '';
    if (!last || key === seen) { seen = key; return; }
    seen = key;
    const top = last.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop - 6;
    box.scrollTo({top: Math.max(0, top)});
  }).observe(element, {childList: true, subtree: true});
}
element.addEventListener('click', async (ev) => {
  const cite = ev.target.closest('a.cite');
  if (cite) {
    ev.preventDefault();
    const el = document.getElementById(cite.dataset.target);
    if (el) {
      el.scrollIntoView({behavior: 'smooth', block: 'center'});
      el.classList.remove('flash'); void el.offsetWidth; el.classList.add('flash');
    }
    return;
  }
  const copy = ev.target.closest('button.copy-btn');
  if (copy) {
    const src = copy.closest('.turn').querySelector('textarea.copy-src');
    const text = src ? src.value : '';
    try { await navigator.clipboard.writeText(text); }
    catch (e) {
      const ta = document.createElement('textarea'); ta.value = text; document.body.appendChild(ta);
      ta.select(); document.execCommand('copy'); ta.remove();
    }
    const lbl = copy.querySelector('.lbl');
    lbl.textContent = '已复制';
    setTimeout(() => { lbl.textContent = '复制回答和来源'; }, 1500);
    return;
  }
  const fb = ev.target.closest('button.fb-btn');
  if (fb) {
    const turn = fb.closest('.turn');
    const input = turn.querySelector('input.fb-comment');
    turn.querySelectorAll('button.fb-btn').forEach(b => b.classList.remove('chosen'));
    fb.classList.add('chosen');
    const status = turn.querySelector('.fb-status');
    if (status) status.textContent = '谢谢反馈！';
    trigger('click', {turn: Number(turn.dataset.turn), vote: fb.dataset.vote, comment: input ? input.value : ''});
  }
});
"""

CSS = r"""
.gradio-container { max-width: 1100px !important; margin: 0 auto; }
#app-title h1 { margin-bottom: 0; }
#app-title p { color: var(--body-text-color-subdued); margin-top: 4px; }
#chat-log { min-height: 380px; max-height: 62vh; overflow-y: auto !important; padding: 8px 4px;
  border: 1px solid var(--border-color-primary); border-radius: 12px; background: var(--background-fill-secondary); }
.chat-empty { color: var(--body-text-color-subdued); text-align: center; padding: 90px 16px; line-height: 1.9; }
.chat-empty-title { font-size: 1.3em; color: var(--body-text-color); margin-bottom: 6px; }
.turn { margin: 10px 8px 18px; }
.msg { display: flex; margin: 6px 0; }
.msg.user { justify-content: flex-end; }
.bubble { max-width: 88%; padding: 10px 14px; border-radius: 14px; line-height: 1.75; white-space: normal; }
.msg.user .bubble { background: var(--color-accent); color: white; border-bottom-right-radius: 4px; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.msg.bot .bubble { background: var(--background-fill-primary); border: 1px solid var(--border-color-primary);
  border-bottom-left-radius: 4px; width: 88%; }
.answer-text { font-size: 1.05em; white-space: pre-wrap; }
a.cite { display: inline-block; margin: 0 1px; padding: 0 5px; border-radius: 6px; font-size: .8em; font-weight: 600;
  vertical-align: super; line-height: 1.4; background: #dbeafe; color: #1d4ed8 !important; text-decoration: none !important; cursor: pointer; }
a.cite:hover { background: #1d4ed8; color: white !important; }
.searching .dots { color: var(--body-text-color-subdued); }
.searching .dots::after { content: ''; display: inline-block; width: 12px; height: 12px; margin-left: 8px;
  border: 2px solid #93c5fd; border-top-color: #1d4ed8; border-radius: 50%; animation: spin .8s linear infinite; vertical-align: middle; }
@keyframes spin { to { transform: rotate(360deg); } }
.bubble.refusal { border-color: #fcd34d !important; background: #fffbeb !important; }
.refusal-hint { color: #92400e; font-size: .92em; margin-top: 2px; }
.superseded-note { color: #1e40af; background: #eff6ff; border-radius: 6px; padding: 4px 8px; margin-bottom: 6px; font-size: .92em; }
.bubble.notice { border-color: #cbd5e1 !important; background: #f8fafc !important; }
.notice-title { font-weight: 600; }
.notice-detail { color: var(--body-text-color-subdued); font-size: .9em; }
.sources { margin-top: 10px; }
.sources-label { font-size: .85em; font-weight: 600; color: var(--body-text-color-subdued); margin: 4px 0; letter-spacing: .05em; }
.src-card { border: 1px solid var(--border-color-primary); border-left: 4px solid #3b82f6; border-radius: 8px;
  padding: 8px 12px; margin: 8px 0; background: var(--background-fill-secondary); scroll-margin: 80px; }
.src-card.suggestion { border-left-color: #f59e0b; }
.src-card.flash { animation: flash 1.6s ease-out; }
@keyframes flash { 0% { box-shadow: 0 0 0 4px #93c5fd; } 100% { box-shadow: 0 0 0 0 transparent; } }
.src-head { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; font-size: .92em; }
.src-n { display: inline-flex; align-items: center; justify-content: center; min-width: 20px; height: 20px; border-radius: 10px;
  background: #1d4ed8; color: white; font-size: .8em; font-weight: 700; }
.src-n.alt { background: #f59e0b; }
.src-title { font-weight: 600; }
.src-section { color: var(--body-text-color-subdued); }
.src-section::before { content: '§ '; }
.src-date { color: var(--body-text-color-subdued); margin-left: auto; }
.src-text { margin-top: 6px; font-size: .93em; line-height: 1.8; white-space: pre-wrap; color: var(--body-text-color); }
.src-text mark { background: #fef08a; color: inherit; padding: 1px 0; border-radius: 2px; }
.src-full summary { cursor: pointer; font-size: .82em; color: #1d4ed8; margin-top: 4px; }
.src-full .src-text { border-top: 1px dashed var(--border-color-primary); padding-top: 6px; }
.src-meta { margin-top: 4px; font-size: .78em; color: var(--body-text-color-subdued); }
.turn-actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-top: 10px; font-size: .88em; }
.turn-actions button { display: inline-flex; align-items: center; gap: 4px; border: 1px solid var(--border-color-primary);
  background: var(--background-fill-primary); border-radius: 8px; padding: 3px 10px; cursor: pointer; color: var(--body-text-color); }
.fb { margin-left: auto; }
.icon { display: inline-block !important; vertical-align: -2px; margin: 0 !important; }
.turn-actions button:hover { background: var(--background-fill-secondary); }
.fb { display: inline-flex; gap: 6px; align-items: center; }
.fb-btn.chosen { background: #dbeafe !important; border-color: #3b82f6 !important; }
.fb-comment { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 3px 8px; width: 220px;
  background: var(--background-fill-primary); font-size: .95em; }
.fb-status { color: #15803d; }
.took { font-size: .75em; color: var(--body-text-color-subdued); float: right; margin-top: 4px; }
.examples-label p { margin: 6px 0 0 !important; font-size: .88em; color: var(--body-text-color-subdued); }
.examples-row { gap: 8px !important; }
.examples-row button { font-size: .88em !important; }
.rt-query { margin: 6px 0; color: var(--body-text-color-subdued); }
.rt-grid { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 12px; }
.rt-col h4 { margin: 4px 0 6px; }
.rt-col ol { list-style: none; padding: 0; margin: 0; }
.rt-hit { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 6px 8px; margin-bottom: 8px; font-size: .88em; }
.rt-scores { font-variant-numeric: tabular-nums; color: #1d4ed8; }
.rt-where { color: var(--body-text-color-subdued); font-size: .9em; }
.rt-text { margin-top: 3px; line-height: 1.6; }
.up-summary { margin: 6px 0; font-weight: 600; }
table.up-report { width: 100%; border-collapse: collapse; font-size: .92em; }
table.up-report th, table.up-report td { border-bottom: 1px solid var(--border-color-primary); padding: 4px 8px; text-align: left; }
table.up-report tr.ok td:nth-child(2) { color: #15803d; font-weight: 600; }
table.up-report tr.bad td:nth-child(2) { color: #b91c1c; font-weight: 600; }
table.up-report tr.same td:nth-child(2) { color: #a16207; font-weight: 600; }
"""
