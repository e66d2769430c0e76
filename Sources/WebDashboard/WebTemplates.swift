/// The dashboard's templates and stylesheet, compiled into the binary so a copied release
/// binary serves its pages with no other files. Pages work without JavaScript (one small
/// script, ``liveScript``, only adds the banner that says new versions arrived) and print
/// without navigation and forms (the stylesheet's print rules).
enum WebTemplates {
    static let all: [String: String] = [
        "layout": layout, "refusal": refusal, "dashboard": dashboard, "cell": cell,
        "signals": signals, "conflicts": conflicts, "conflict": conflict, "history": history, "signal": signal,
        "notFound": notFound, "edit": edit, "news": news,
    ]

    /// Since the last visit (or a point): what `sync-client news` prints, with links.
    static let news = """
    <h1>Since your last visit</h1>
    <p class="news-heading" id="news-heading">{{heading}}</p>
    <form method="get" action="/news" class="filter"><label>Or since <input name="since" value="{{since}}" size="12" placeholder="2026-02-18"></label><button type="submit">Show</button> <a href="/news">since your last visit</a></form>
    {{#hasCells}}<h2>Cells</h2>{{/hasCells}}
    <table class="news"><tbody>{{#cells}}<tr class="cell"><th colspan="2"><a href="/cells/{{id}}">{{number}} {{title}}</a>{{#new}} (new){{/new}}</th></tr>
    {{#fields}}<tr><td>{{field}}</td><td>{{by}}{{count}}</td></tr>{{/fields}}{{/cells}}</tbody></table>
    {{#hasNewSignals}}<h2>New signals</h2>{{/hasNewSignals}}<ul class="new-signals">{{#newSignals}}<li><a href="/signals/{{id}}">{{date}} {{title}}</a> by {{by}}</li>{{/newSignals}}</ul>
    {{#hasChangedSignals}}<h2>Signals changed</h2>{{/hasChangedSignals}}<ul class="changed-signals">{{#changedSignals}}<li><a href="/signals/{{id}}">{{date}} {{title}}</a>: {{#fields}}{{field}} by {{by}}; {{/fields}}</li>{{/changedSignals}}</ul>
    {{#hasNewConflicts}}<h2>New conflicts</h2>{{/hasNewConflicts}}<ul class="new-conflicts">{{#newConflicts}}<li><a class="conflict" href="/conflicts/{{id}}">{{record}} {{field}}</a></li>{{/newConflicts}}</ul>
    {{#hasClosedConflicts}}<h2>Closed conflicts</h2>{{/hasClosedConflicts}}<ul class="closed-conflicts">{{#closedConflicts}}<li>{{record}} {{field}} (conflict {{id}})</li>{{/closedConflicts}}</ul>
    {{#mark}}<form method="post" action="/news/seen"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="vector" value="{{vector}}">
    <input type="hidden" name="conflicts" value="{{conflicts}}"><button type="submit" id="mark-seen">Mark as seen</button></form>{{/mark}}
    """

    /// One field's form: prefilled, with the state it was filled from; clearing asks first.
    static let edit = """
    <p class="back"><a href="/{{path}}/{{id}}">← Back to {{owner}}</a></p>
    <h1>Edit {{name}} of {{owner}}</h1>
    {{#conflict}}<p class="refused">This field is in conflict; saving a value resolves it. <a class="conflict" href="/conflicts/{{conflict}}">See the conflict</a></p>{{/conflict}}
    <form method="post" action="/{{path}}/{{id}}/set" class="edit-field" id="edit-form"><input type="hidden" name="csrf" value="{{csrf}}">
    <input type="hidden" name="field" value="{{field}}"><input type="hidden" name="seen" value="{{seen}}">
    {{#hasSelect}}<label>{{name}} <select name="value" id="value">{{#options}}<option value="{{label}}"{{#selected}} selected{{/selected}}>{{shown}}</option>{{/options}}</select></label>{{/hasSelect}}
    {{#hasTextarea}}<label>{{name}} <textarea name="value" id="value" rows="{{rows}}">{{value}}</textarea></label>{{/hasTextarea}}
    {{#hasInput}}<label>{{name}} <input name="value" id="value" size="{{size}}" value="{{value}}"></label>{{/hasInput}}
    {{#hint}}<p class="hint">{{hint}}</p>{{/hint}}
    {{#confirmClear}}<p class="refused"><label><input type="checkbox" name="clear" value="yes" id="confirm-clear"> Yes, clear {{name}} (it holds: {{current}})</label></p>{{/confirmClear}}
    <button type="submit" id="save">Save</button> <a href="/{{path}}/{{id}}">Cancel</a></form>
    """

    static let notFound = """
    <h1>Not found</h1><p><a href="/">← Back to Dashboard</a> · <a href="/conflicts">Conflicts</a> · <a href="/signals">Signals</a></p>
    """

    static let layout = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}} · Field dashboard</title><link rel="stylesheet" href="/style.css"><script src="/live.js" defer></script></head>
    <body data-versions="{{versions}}">
    <p class="live" id="live" hidden></p>
    <header class="bar"><nav><a href="/">Dashboard</a><a href="/news">News</a><a href="/signals">Signals</a><a href="/conflicts">Conflicts</a></nav>
    <form method="post" action="/sync" class="sync"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Sync now</button></form></header>
    <p class="banner" id="banner">{{pending}} pending write{{^onePending}}s{{/onePending}} · {{openConflicts}} open conflict{{^oneConflict}}s{{/oneConflict}} · {{lastSync}}</p>
    {{#removals}}<p class="removed">{{text}}</p>{{/removals}}
    {{#said}}<p class="said" id="said">{{said}}{{#saidLinks}} <a class="conflict" href="{{href}}">{{text}}</a>{{/saidLinks}}</p>{{/said}}{{#refused}}<p class="refused" id="refused">{{refused}}</p>{{/refused}}
    <main>{{{content}}}</main>
    </body></html>
    """

    static let refusal = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>{{title}} · Field dashboard</title><link rel="stylesheet" href="/style.css"></head>
    <body><main><h1>{{title}}</h1><p class="refused">{{sentence}}</p></main></body></html>
    """

    static let dashboard = """
    <h1>Dashboard</h1>
    <table class="cells"><thead><tr>{{#columns}}<th><a href="/?sort={{key}}">{{name}}</a>{{#sorted}} ▾{{/sorted}}</th>{{/columns}}</tr></thead>
    <tbody>{{#rows}}<tr{{#conflicted}} class="conflicted"{{/conflicted}}><td>{{number}}</td><td><a href="/cells/{{id}}">{{title}}</a></td><td>{{trajectory}}</td><td>{{trend}}</td>
    <td>{{lastAssessed}}</td><td>{{signals}}</td><td>{{newestSignal}}</td><td>{{#conflicted}}<a href="/cells/{{id}}">{{openConflicts}}</a>{{/conflicted}}</td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="8">No cells yet: add one with <code>sync-client cell create</code>, or sync.</td></tr>{{/rows}}</tbody></table>
    """

    static let cell = """
    <p class="back"><a href="/">← Back to Dashboard</a> · <a href="/cells/{{id}}/history">History</a></p>
    <article class="cell">
    <h1><span class="number">{{number}}</span> {{title}}</h1>
    <p class="edit-links"><a class="edit" href="/cells/{{id}}/edit/title">edit title</a> <a class="edit" href="/cells/{{id}}/edit/number">edit number</a></p>
    <dl class="facts">{{#facts}}<div><dt>{{name}} <a class="edit" href="/cells/{{id}}/edit/{{field}}">edit</a></dt><dd>{{value}}{{#conflict}} <a class="conflict" href="/conflicts/{{conflict}}">conflict</a>{{/conflict}}</dd></div>{{/facts}}</dl>
    {{{timeline}}}
    {{{chart}}}
    {{#sections}}<section id="{{field}}"><h2>{{name}}{{#conflict}} <a class="conflict" href="/conflicts/{{conflict}}">conflict</a>{{/conflict}} <a class="edit" href="/cells/{{id}}/edit/{{field}}">edit</a></h2>
    {{#paragraphs}}<p>{{.}}</p>{{/paragraphs}}{{#hasItems}}<ul>{{#items}}<li>{{.}}</li>{{/items}}</ul>{{/hasItems}}
    {{#hasLinks}}<ul class="related">{{#links}}<li><a href="/cells/{{id}}">{{label}}</a></li>{{/links}}</ul>{{/hasLinks}}</section>{{/sections}}
    <section id="signals"><h2>Signal backlog</h2>
    {{#backlog}}<details class="signal {{direction}}"><summary><time>{{date}}</time> {{title}} <span class="direction">{{direction}}</span> <a href="/signals/{{id}}">edit</a></summary>
    {{#note}}<p class="note">{{note}}</p>{{/note}}{{#excerpt}}<p class="excerpt">{{excerpt}}</p>{{/excerpt}}<p><a href="/signals/{{id}}">The whole signal</a></p>{{#source}}<p class="source">Source: {{source}}</p>{{/source}}</details>{{/backlog}}
    {{#moreSignals}}<p class="more">The newest {{shown}} of {{count}} signals; <a href="{{href}}">all of them</a>.</p>{{/moreSignals}}
    {{^backlog}}<p>No signals tagged to this cell.</p>{{/backlog}}</section>
    </article>
    <section class="edit"><h2>Add a signal</h2>
    <form method="post" action="/cells/{{id}}/signals"><input type="hidden" name="csrf" value="{{csrf}}">
    <label>Title <input name="title" size="60"></label><label>Date <input name="date" size="10" placeholder="2026-02-18"></label>
    <label>Direction <select name="direction"><option value="">none</option>{{#directions}}<option>{{.}}</option>{{/directions}}</select></label>
    <label>Cells <input name="cells" value="{{number}}" size="20"></label><label>Source <input name="source" size="40"></label>
    <label>Body <textarea name="body" rows="4"></textarea></label><button type="submit">Add the signal</button></form></section>
    """

    static let history = """
    <p class="back"><a href="/cells/{{id}}">← Back to cell {{number}}</a></p>
    <h1>History of {{number}} {{title}}</h1>
    {{#arriving}}<p class="note">{{arriving}}</p>{{/arriving}}
    <h2>Trajectory over time</h2>
    {{{chart}}}
    <h2>Who set each field</h2>
    <table class="blame"><thead><tr><th>Field</th><th>Set by</th><th>When</th><th>Value</th></tr></thead>
    <tbody>{{#blame}}<tr><td><a href="/cells/{{id}}/history?field={{field}}">{{field}}</a></td><td>{{by}}</td><td>{{when}}</td><td>{{value}}</td></tr>{{/blame}}</tbody></table>
    <h2>Versions{{#field}} of {{field}}{{/field}}</h2>{{#shown}}<p class="hint">Showing {{shown}}.</p>{{/shown}}
    <form method="get" action="/cells/{{id}}/history" class="filter"><label>Field <select name="field"><option value="">every field</option>
    {{#fields}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/fields}}</select></label><button type="submit">Show</button></form>
    <table class="log"><thead><tr><th>When</th><th>Author</th><th>Version</th><th>Field</th><th>Value</th><th>Note</th></tr></thead>
    <tbody>{{#versions}}<tr><td>{{time}}</td><td>{{author}}</td><td>{{version}}</td><td>{{field}}</td><td><pre>{{value}}</pre></td><td>{{note}}</td></tr>{{/versions}}</tbody></table>
    """

    static let signal = """
    <p class="back"><a href="/signals">← All signals</a></p>
    <h1>Signal: {{title}}</h1>
    <dl class="fields">{{#fields}}<dt>{{name}}{{#conflict}} <a class="conflict" href="/conflicts/{{conflict}}">conflict</a>{{/conflict}} <a class="edit" href="/signals/{{id}}/edit/{{field}}">edit</a></dt><dd><pre>{{value}}</pre></dd>{{/fields}}</dl>
    """

    static let signals = """
    <h1>Signals</h1>
    <form method="get" action="/signals" class="filter">
    <label>Cell <input name="cell" value="{{cell}}" size="6"></label>
    <label>Direction <select name="direction"><option value="">any</option>{{#directions}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/directions}}</select></label>
    <label>From <input name="from" value="{{from}}" size="10" placeholder="2026-01"></label>
    <label>To <input name="to" value="{{to}}" size="10" placeholder="2026-12-31"></label>
    <button type="submit">Filter</button></form>
    <table class="signals"><thead><tr><th>Date</th><th>Title</th><th>Direction</th><th>Cells</th></tr></thead>
    <tbody>{{#rows}}<tr><td>{{date}}</td><td><a href="/signals/{{id}}">{{title}}</a></td><td>{{direction}}</td><td>{{#cells}}<a href="/cells/{{id}}">{{label}}</a> {{/cells}}</td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="4">No signal matches.</td></tr>{{/rows}}</tbody></table>
    """

    static let conflicts = """
    <h1>Open conflicts</h1>
    <table class="conflicts"><thead><tr><th>Conflict</th><th>Record</th><th>Field</th><th>Heads</th></tr></thead>
    <tbody>{{#rows}}<tr><td><a href="/conflicts/{{id}}">{{id}}</a></td><td>{{record}}</td><td>{{field}}</td><td>{{heads}}</td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="4">No open conflicts.</td></tr>{{/rows}}</tbody></table>
    """

    static let conflict = """
    <p class="back"><a href="/conflicts">← All conflicts</a></p>
    <h1>Conflict {{id}}: {{field}} of {{record}}</h1>
    <div class="sides">
    <div class="side base"><h2>Base</h2><pre>{{base}}</pre></div>
    {{#heads}}<div class="side head"><h2>{{author}}{{#mine}} (this replica){{/mine}}</h2><p class="when">{{time}}</p><pre>{{value}}</pre>
    {{#diff}}<h3>Change from the base</h3><pre class="diff">{{diff}}</pre>{{/diff}}</div>{{/heads}}
    </div>
    <section class="resolve"><h2>Resolve</h2>
    {{#deletion}}<form method="post" action="/conflicts/{{id}}/resolve"><input type="hidden" name="csrf" value="{{csrf}}">
    <button name="choice" value="keep">Keep the record</button> <button name="choice" value="delete">Delete the record</button></form>{{/deletion}}
    {{^deletion}}<form method="post" action="/conflicts/{{id}}/resolve"><input type="hidden" name="csrf" value="{{csrf}}">
    <button name="choice" value="mine" id="keep-mine">Keep mine</button> <button name="choice" value="theirs" id="keep-theirs">Keep theirs</button></form>
    <form method="post" action="/conflicts/{{id}}/resolve"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="choice" value="value">
    <label>A new value <input name="value" size="60"></label><button type="submit" id="set-value">Set this value</button></form>
    <form method="post" action="/conflicts/{{id}}/resolve"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="choice" value="edited">
    <label>Edit the text (remove every marker line) <textarea name="value" rows="12">{{marked}}</textarea></label>
    <button type="submit">Save this text</button></form>{{/deletion}}
    </section>
    """

    /// Served as `/live.js` (the content security policy allows scripts from the dashboard
    /// itself and nothing inline): every second it asks `/live` how many versions the replica
    /// holds, and when that passed what the page was rendered from, shows "N new changes — reload".
    /// The reload link asks for the page's own address, or for a form's page after a form.
    static let liveScript = """
    (function () {
      var shown = Number(document.body.getAttribute('data-versions'));
      var banner = document.getElementById('live');
      if (!banner || isNaN(shown)) return;
      var path = location.pathname.replace(/\\/(set|resolve)$/, '').replace(/^\\/sync$/, '/').replace(/^(\\/cells\\/[^/]+)\\/signals$/, '$1');
      function look() {
        fetch('/live', { credentials: 'same-origin', cache: 'no-store' })
          .then(function (answer) { return answer.ok ? answer.json() : null; })
          .then(function (state) {
            if (!state || !(state.versions > shown)) return;
            var count = state.versions - shown;
            banner.textContent = count + ' new change' + (count === 1 ? '' : 's') + ' \\u2014 ';
            var link = document.createElement('a');
            link.href = path + (path === location.pathname ? location.search : '');
            link.id = 'live-reload';
            link.textContent = 'reload';
            banner.appendChild(link);
            banner.hidden = false;
          })
          .catch(function () {})
          .then(function () { setTimeout(look, 1000); });
      }
      setTimeout(look, 1000);
    })();
    """

    static let stylesheet = """
    body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 0 1rem 3rem; color: #1d232a; }
    .bar { display: flex; justify-content: space-between; align-items: center; border-bottom: 1px solid #ccd; padding: .5rem 0; }
    .bar nav a { margin-right: 1rem; font-weight: 600; }
    .banner { color: #556; font-size: .9rem; }
    .said { background: #e8f4ea; padding: .5rem; } .removed { background: #fff4d6; padding: .5rem; } .refused { background: #fbe9e7; padding: .5rem; color: #8a1c0c; }
    table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e3e3ea; vertical-align: top; }
    tr.conflicted td { background: #fff6e0; }
    .conflict { color: #8a1c0c; font-size: .8rem; border: 1px solid #8a1c0c; border-radius: 3px; padding: 0 .3rem; }
    .facts { display: flex; flex-wrap: wrap; gap: 1.5rem; } .facts dt { font-size: .8rem; color: #556; } .facts dd { margin: 0; font-weight: 600; }
    .number { color: #556; } details.signal { border-left: 4px solid #99a; padding: .2rem .6rem; margin: .4rem 0; }
    details.Advancing { border-color: #2e7d32; } details.Drifting { border-color: #ef6c00; } details.Reversing { border-color: #c62828; }
    .direction { font-size: .8rem; color: #556; } .sides { display: flex; gap: 1rem; overflow-x: auto; } .side { flex: 1; min-width: 16rem; }
    pre { white-space: pre-wrap; background: #f6f6f9; padding: .5rem; } textarea { width: 100%; font: inherit; } label { display: block; margin: .4rem 0; }
    .filter label { display: inline-block; margin-right: 1rem; } svg.timeline, svg.trajectory { width: 100%; height: auto; }
    @media print { .bar, .edit, .back, .banner, .said { display: none; } details.signal > * { display: block; } body { max-width: none; } }
    """
}
