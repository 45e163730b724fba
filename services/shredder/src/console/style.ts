/**
 * The console's one stylesheet, served from the admin listener (no CDN, no inline styles: the CSP is
 * `default-src 'self'`). Colours meet WCAG AA contrast on white (text #1b1b1b 17.2:1, hints #454545 9.6:1, links and
 * buttons #0b57d0 6.4:1, the confirm button #a4161a 7.8:1 with white text, status colours 6.8:1 or more); every
 * focusable element shows a 3 px outline (#b34700, 5.4:1 against white: non-text needs 3:1).
 */
export const CONSOLE_CSS = `
*, *::before, *::after { box-sizing: border-box; }
html { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: #1b1b1b; background: #fff; }
body { margin: 0; }
a { color: #0b57d0; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible {
  outline: 3px solid #b34700; outline-offset: 2px;
}
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 1; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem 2rem; padding: .75rem 1.5rem; border-bottom: 2px solid #1b1b1b; }
header .brand { font-weight: 700; margin: 0; }
header nav ul { display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; margin: 0; padding: 0; }
header nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
header .who { margin-left: auto; display: flex; gap: .75rem; align-items: center; }
main { padding: 1rem 1.5rem 3rem; max-width: 72rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 .5rem; }
label { display: block; font-weight: 600; margin-top: 1rem; }
.hint { display: block; font-weight: 400; color: #454545; font-size: .9rem; }
input[type=text], input[type=password], select, textarea {
  font: inherit; padding: .4rem .5rem; border: 1px solid #5c5c5c; border-radius: 4px; width: 100%; max-width: 36rem; color: #1b1b1b; background: #fff;
}
textarea { font-family: ui-monospace, "DejaVu Sans Mono", monospace; min-height: 7rem; }
fieldset { border: 1px solid #5c5c5c; border-radius: 4px; margin-top: 1rem; max-width: 36rem; }
legend { font-weight: 600; padding: 0 .25rem; }
fieldset label { display: inline-flex; gap: .35rem; font-weight: 400; margin: 0 1rem 0 0; }
.check { display: flex; gap: .5rem; align-items: center; font-weight: 400; }
button { font: inherit; font-weight: 600; padding: .5rem 1rem; border: 2px solid #0b57d0; border-radius: 4px; background: #0b57d0; color: #fff; cursor: pointer; margin-top: 1.25rem; }
button.secondary { background: #fff; color: #0b57d0; }
button.danger { background: #a4161a; border-color: #a4161a; }
header button { margin: 0; padding: .25rem .75rem; }
.actions { display: flex; flex-wrap: wrap; gap: 1rem; align-items: baseline; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .35rem .75rem .35rem 0; border-bottom: 1px solid #c4c4c4; vertical-align: top; }
th { font-weight: 600; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .92rem; overflow-wrap: anywhere; }
.error { border-left: 6px solid #a4161a; background: #fdf0f0; padding: .75rem 1rem; max-width: 48rem; }
.notice { border-left: 6px solid #0b57d0; background: #eef3fd; padding: .75rem 1rem; max-width: 48rem; }
.warning { border-left: 6px solid #8a4b00; background: #fff6e5; padding: .75rem 1rem; max-width: 48rem; }
.status-done { color: #11672a; font-weight: 700; }
.status-failed { color: #a4161a; font-weight: 700; }
.status-pending { color: #8a4b00; font-weight: 700; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1.5rem; }
dt { font-weight: 600; }
dd { margin: 0; }
`;
