// A wall column longer than the screen turns its pages by itself: every few seconds it jumps to
// the first card not yet wholly shown, then back to the top. A card cut by the column's edge is
// hidden until its page comes, so no half card is ever on the wall.
export interface Paging { page: number; pages: number }

export function autopage(node: HTMLElement, options: { seconds: number; onPage: (p: Paging) => void }) {
  let { seconds, onPage } = options
  const cards = () => [...node.children] as HTMLElement[]

  /** where each page starts: the first card not wholly shown on the page before */
  function starts() {
    const list = [0]
    for (;;) {
      const bottom = list[list.length - 1]! + node.clientHeight
      const next = cards().find((card) => card.offsetTop + card.offsetHeight > bottom + 1)
      // a card taller than the column would page forever: it gets its own page and the rest go on
      if (!next || next.offsetTop <= list[list.length - 1]!) return list
      list.push(next.offsetTop)
    }
  }

  // the page shown, counted by the action: the last page may not scroll all the way (scrollTop is
  // clamped), so the page cannot be read back from scrollTop
  let current = 0

  function layout() {
    // room below the last card, so the last page can scroll to its own start (no clamped scrollTop)
    const room = `${node.clientHeight}px`
    if (node.style.paddingBottom !== room) node.style.paddingBottom = room
    const pages = starts()
    current = Math.min(current, pages.length - 1)
    const start = pages[current]!, bottom = node.scrollTop + node.clientHeight
    for (const card of cards()) card.style.visibility = card.offsetTop < start - 1 || card.offsetTop + card.offsetHeight > bottom + 1 ? 'hidden' : ''
    onPage({ page: current + 1, pages: pages.length })
  }

  function turn() {
    const pages = starts()
    current = current + 1 < pages.length ? current + 1 : 0
    node.scrollTop = pages[current]!
    layout()
  }

  let timer = setInterval(turn, seconds * 1000)
  // cards come and go with live events: lay the page out again whenever the column changes
  const observer = new MutationObserver(layout)
  observer.observe(node, { childList: true, subtree: true, characterData: true })
  const resized = new ResizeObserver(layout)
  resized.observe(node)
  layout()

  return {
    update(next: { seconds: number; onPage: (p: Paging) => void }) {
      onPage = next.onPage
      if (next.seconds !== seconds) { seconds = next.seconds; clearInterval(timer); timer = setInterval(turn, seconds * 1000) }
    },
    destroy() { clearInterval(timer); observer.disconnect(); resized.disconnect() },
  }
}
