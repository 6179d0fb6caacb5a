"""The page's own script and styles, given to `mount_gradio_app` (Gradio 6 takes them there, not in Blocks).

Why a script at all: a click inside a Chatbot message cannot call the server in Gradio 6. The answers' [n] are
links to "#zhiku-cite-<turn>-<n>"; one listener (capture phase, so the link never navigates) writes the key into
a hidden textbox and clicks a hidden button, whose handler renders the cited page into the viewer. The same
listener zooms the viewer and puts it full screen, and asks a similar verified question offered under an answer
(a "#zhiku-ask" link) by writing it into the question box and clicking Send. A second piece keeps a new answer in
view from its start: Gradio's autoscroll would show the chat box's bottom (evidence, sources, timings), so it is
off, and each new answer is scrolled to the top of the chat box as it appears. On a phone, "menu" swaps the chat
for the side panels (a class on the body, read by PHONE_CSS), and "back to the chat", a new chat or a chosen
conversation swaps back.
"""

from __future__ import annotations

# A phone: the chat and the question box first, the side panels behind "menu" (the script's zhiku-menu-open class on
# the body shows them in the chat's place), the cited page at the screen's width; wider screens keep the three
# columns. A <style> in the head, not `css=`: Gradio rewrites every rule inside an @media of `css=` to start with
# ".gradio-container .contain", under which a body class or the page's padding can never match.
PHONE_CSS = """
<style>
.zhiku-phone-only { display: none !important; }
/* Until the load chain has put this browser back in its place (layout.LOADED marks the body), a click would be
   undone by that restore: the page takes none, and says it is busy. */
body:not([data-zhiku-loaded]) { cursor: progress; }
body:not([data-zhiku-loaded]) .gradio-container > .main { pointer-events: none; }
@media (max-width: 640px) {
  .gradio-container > .main { padding: 8px 8px 16px !important; }
  #top-bar { flex-wrap: nowrap; align-items: center; gap: 8px; }
  #top-bar #header { flex: 1 1 auto; min-width: 0; }
  #top-bar #language { flex: 0 0 auto; width: auto; min-width: 0; }
  #header h1 { font-size: 1.25rem; margin: 0; }
  #header p { font-size: 0.85rem; margin: 2px 0 0; }
  body:not(.zhiku-menu-open) #menu-open, body.zhiku-menu-open #menu-close {
    display: inline-flex !important; flex: 0 0 auto; width: auto; min-width: 0; min-height: 40px;
    white-space: nowrap; }
  #question { min-width: 0 !important; }
  #send { flex: 0 0 auto !important; width: auto; min-width: 4.5em !important; }
  body:not(.zhiku-menu-open) :is(#side-panel, #docs-panel, #documents, #verified-panel) { display: none !important; }
  body.zhiku-menu-open #chat-column { display: none !important; }
  #chat { height: min(520px, calc(100dvh - 230px)) !important; min-height: 300px; }
  #page-image, #passage { padding-left: 2px !important; padding-right: 2px !important; }
  .zhiku-view-scroll { max-height: 80dvh; }
}
</style>
"""

PAGE_SCRIPT = """
<script>
(() => {
  const zoomOf = new WeakMap();
  // A page image at a phone's width (1x) shows letters a few pixels high: it opens at twice that, scrolled to the
  // first marked line; "↔" fits it to the width again.
  const PHONE_ZOOM = 2;
  // If the load chain never ends (a step failed), the page must not stay unusable: it takes clicks after a while.
  setTimeout(() => {
    if (document.body && !document.body.dataset.zhikuLoaded) document.body.dataset.zhikuLoaded = 'late';
  }, 20000);
  function setZoom(viewer, zoom) {
    zoom = Math.min(4, Math.max(0.5, zoom));
    zoomOf.set(viewer, zoom);
    const img = viewer.querySelector('img.zhiku-page');
    if (img) img.style.width = (zoom * 100) + '%';
  }
  function cite(key) {
    const box = document.querySelector('#cite-key textarea, #cite-key input');
    const open = document.querySelector('#cite-open');
    if (!box || !open) return;
    box.value = key + '@' + Date.now();  // the same citation twice is still a new value
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => open.click(), 50);
  }
  function ask(question) {
    const box = document.querySelector('#question textarea, #question input');
    const send = document.querySelector('#send');
    if (!box || !send) return;
    box.value = question;
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => send.click(), 50);
  }
  // The phone's menu (PAGE_CSS): a class on the body shows the side panels in the chat's place, and back.
  function menu(open) {
    document.body.classList.toggle('zhiku-menu-open', open);
    window.scrollTo(0, 0);
    const next = document.querySelector(open ? '#menu-close' : '#menu-open');
    if (next) next.focus({preventScroll: true});  // the button clicked is gone: focus goes to its pair
  }
  document.addEventListener('click', (ev) => {
    const toggle = ev.target.closest && ev.target.closest('#menu-open, #menu-close');
    if (toggle) { menu(toggle.id === 'menu-open'); return; }
    // Opening a conversation or a new one goes back to the chat by itself.
    const chosen = ev.target.closest && ev.target.closest('#new-chat, #conversations label');
    if (chosen && document.body.classList.contains('zhiku-menu-open')) setTimeout(() => menu(false), 0);
    const link = ev.target.closest && ev.target.closest('a[href^="#zhiku-cite-"]');
    if (link) {
      ev.preventDefault(); ev.stopPropagation();
      cite(link.getAttribute('href').slice('#zhiku-cite-'.length));
      return;
    }
    // A similar verified question under an answer (render.similar_block): asked as written.
    const similar = ev.target.closest && ev.target.closest('a[href="#zhiku-ask"]');
    if (similar) {
      ev.preventDefault(); ev.stopPropagation();
      ask(similar.textContent);
      return;
    }
    const btn = ev.target.closest && ev.target.closest('.zhiku-view-btn');
    if (!btn) return;
    const viewer = btn.closest('.zhiku-viewer');
    const zoom = zoomOf.get(viewer) || 1;
    const act = btn.dataset.act;
    if (act === 'in') setZoom(viewer, zoom * 1.25);
    else if (act === 'out') setZoom(viewer, zoom / 1.25);
    else if (act === 'fit') setZoom(viewer, 1);
    else if (act === 'full') {
      if (document.fullscreenElement) document.exitFullscreen();
      else if (viewer.requestFullscreen) viewer.requestFullscreen();
    }
  }, true);
  // The viewer, once filled: in view, and scrolled inside to the first marked line.
  window.zhikuShowViewer = () => {
    const tries = {n: 0};
    const go = () => {
      const img = document.querySelector('#page-image img.zhiku-page');
      const target = document.querySelector('#page-image .zhiku-viewer') || document.querySelector('#passage');
      if (!target || (img && !img.complete)) { if (tries.n++ < 100) setTimeout(go, 100); return; }
      target.scrollIntoView({block: 'start'});
      if (img) {
        const viewer = img.closest('.zhiku-viewer');
        const phone = window.matchMedia('(max-width: 640px)').matches;
        if (viewer && phone && !zoomOf.has(viewer)) setZoom(viewer, PHONE_ZOOM);
        const marks = JSON.parse(img.dataset.marks || '[]');
        const scroller = img.closest('.zhiku-view-scroll');
        if (marks.length && scroller) {
          const ratio = img.clientWidth / Number(img.dataset.width || img.naturalWidth);
          scroller.scrollTop = Math.max(0, marks[0][1] * ratio - 80);
          scroller.scrollLeft = Math.max(0, marks[0][0] * ratio - 16);
        }
      }
      const mark = document.querySelector('#passage mark');
      if (!img && mark) mark.scrollIntoView({block: 'center'});
    };
    go();
  };
  // A new answer: its start at the top of the chat box, while it streams and once done. It is held there as it
  // grows (a "…" placeholder cannot be scrolled to the top of the box yet), until the user scrolls.
  let seen = 0, pinned = -1;
  const unpin = () => { pinned = -1; };
  ['wheel', 'touchmove', 'keydown'].forEach((kind) => window.addEventListener(kind, unpin, {passive: true}));
  // Grabbing the chat's scroll bar fires none of those: a press inside the chat lets go of the answer too, or a
  // late change elsewhere on the page would pull the chat back down under the pointer.
  document.addEventListener('pointerdown', (ev) => {
    if (ev.target.closest && ev.target.closest('#chat')) unpin();
  }, {capture: true, passive: true});
  const follow = () => {
    const answers = document.querySelectorAll('#chat [data-testid="bot"]');
    if (answers.length < seen) seen = answers.length;  // another conversation opened
    if (answers.length > seen) { seen = answers.length; pinned = answers.length - 1; }
    const answer = pinned >= 0 ? answers[pinned] : null;
    if (!answer) return;
    let scroller = answer.parentElement;
    while (scroller && scroller.scrollHeight <= scroller.clientHeight + 1) scroller = scroller.parentElement;
    if (!scroller || scroller === document.documentElement || scroller === document.body) return;
    const top = answer.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
    if (top > 9) scroller.scrollTop += top - 8;  // only ever down to the answer's start
  };
  // Gradio marks the first screen's example questions role="list" with buttons as its children, which a screen
  // reader announces as an empty list (axe: aria-required-children, critical): a group of buttons is what it is.
  const exampleGroup = () => {
    document.querySelectorAll('#chat .examples[role="list"]').forEach((el) => el.setAttribute('role', 'group'));
  };
  new MutationObserver(() => { follow(); exampleGroup(); })
    .observe(document.documentElement, {subtree: true, childList: true});
})();
</script>
"""

PAGE_HEAD = PHONE_CSS + PAGE_SCRIPT

PAGE_CSS = """
.zhiku-hidden { display: none !important; }
.zhiku-viewer { background: var(--block-background-fill); }
.zhiku-view-bar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 4px 0; }
.zhiku-view-bar span { color: var(--body-text-color); flex: 1; }
.zhiku-view-btn { min-width: 2.2em; padding: 2px 8px; border: 1px solid var(--border-color-primary);
  border-radius: 4px; background: var(--button-secondary-background-fill); cursor: pointer; }
.zhiku-view-scroll { max-height: 85vh; overflow: auto; border: 1px solid var(--border-color-primary); }
.zhiku-viewer:fullscreen .zhiku-view-scroll { max-height: calc(100vh - 3em); }
.zhiku-viewer:fullscreen { padding: 8px; overflow: auto; }
img.zhiku-page { width: 100%; height: auto; max-width: none; display: block; }
a.zhiku-cite { font-weight: 600; text-decoration: none; cursor: pointer; }
#passage mark { background: #ffe066; }
/* Contrast of at least 4.5:1 (WCAG AA; tests/test_browser_a11y.py): the default theme's white on orange-500 (2.8)
   and red-500 (3.8) buttons and its light grey hints (1.9) were too faint to read for many eyes. */
.gradio-container { --button-primary-background-fill: #c2410c; --button-primary-background-fill-hover: #9a3412;
  --button-cancel-background-fill: #b91c1c; --button-cancel-background-fill-hover: #991b1b; }
body:not(.dark) .gradio-container { --body-text-color-subdued: #5f5f68; --input-placeholder-color: #5f5f68; }
"""
