// The Chorus dashboard: renders the view that the server pushes (Server-Sent Events, event "view") whenever the
// topics change. No build step: plain JavaScript and ECharts from its WebJar.
(function () {
  'use strict';

  var CHARTS = '.curve, .heatmap, .consensus-classes';

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function fmt(x, digits) {
    return x === null || x === undefined ? '–' : Number(x).toFixed(digits);
  }

  // An epoch-milliseconds time as ISO 8601; '–' for none or one a Date cannot hold (toISOString would throw).
  function time(ms) {
    var d = typeof ms === 'number' ? new Date(ms) : null;
    return d === null || isNaN(d.getTime()) ? '–' : d.toISOString();
  }

  function table(node, head, rows) {
    node.replaceChildren();
    var tr = el('tr');
    head.forEach(function (h) { tr.appendChild(el('th', {}, h)); });
    node.appendChild(tr);
    rows.forEach(function (row) {
      var r = el('tr');
      row.forEach(function (cell) {
        r.appendChild(el('td', typeof cell === 'number' ? {'class': 'n'} : {}, String(cell)));
      });
      node.appendChild(r);
    });
  }

  // The same element keeps its chart from one view to the next.
  function chart(node) {
    return echarts.getInstanceByDom(node) || echarts.init(node);
  }

  function disposeCharts(node) {
    node.querySelectorAll(CHARTS).forEach(function (c) { echarts.dispose(c); });
  }

  function curve(node, variants) {
    var series = [];
    var withLoss = variants.some(function (v) { return v.loss; });
    variants.forEach(function (v) {
      series.push({name: 'accuracy · ' + v.variant, type: 'line', yAxisIndex: 0, showSymbol: false, data: v.accuracy});
      if (v.loss) {
        series.push({name: 'loss · ' + v.variant, type: 'line', yAxisIndex: 1, showSymbol: false,
          lineStyle: {type: 'dashed'}, data: v.loss});
      }
    });
    var yAxis = [{type: 'value', name: 'prequential accuracy', nameLocation: 'middle', nameGap: 35, min: 0, max: 1}];
    if (withLoss) { yAxis.push({type: 'value', name: 'prequential loss', nameLocation: 'middle', nameGap: 40}); }
    chart(node).setOption({
      animation: false,
      title: {text: 'Learning curve', textStyle: {fontSize: 14}},
      tooltip: {trigger: 'axis'},
      legend: {top: 0, right: 0},
      grid: {left: 60, right: withLoss ? 70 : 20, top: 40, bottom: 40},
      xAxis: {type: 'value', name: 'examples seen', nameLocation: 'middle', nameGap: 25},
      yAxis: yAxis,
      series: series
    }, true);
  }

  function heatmap(node, a, name) {
    if (a.confusion === null) {
      // Past the classes the view sends: the annotator's row above says the rest.
      echarts.dispose(node);
      node.classList.add('too-large');
      node.textContent = name + ': ' + a.numClasses + '×' + a.numClasses + ' confusion matrix, too large to draw';
      return;
    }
    if (node.classList.contains('too-large')) { node.classList.remove('too-large'); node.textContent = ''; }
    var k = a.numClasses, data = [], labels = [];
    for (var i = 0; i < k; i++) { labels.push(String(i)); }
    a.confusion.forEach(function (row, trueClass) {
      row.forEach(function (p, given) { data.push([given, trueClass, p]); });
    });
    chart(node).setOption({
      animation: false,
      title: {text: name, textStyle: {fontSize: 12}},
      tooltip: {formatter: function (p) {
        return 'true ' + p.value[1] + ', labelled ' + p.value[0] + ': ' + fmt(p.value[2], 3);
      }},
      grid: {left: 45, right: 10, top: 25, bottom: 45},
      xAxis: {type: 'category', data: labels, name: 'given label', nameLocation: 'middle', nameGap: 20},
      yAxis: {type: 'category', data: labels, inverse: true, name: 'true class', nameLocation: 'middle', nameGap: 25},
      visualMap: {min: 0, max: 1, show: false, inRange: {color: ['#f7fbff', '#08306b']}},
      series: [{type: 'heatmap', data: data}]
    }, true);
  }

  function percent(share) {
    return share === null ? '–' : (100 * share).toFixed(1) + '%';
  }

  // Items by most likely class: every class by its index, or, of a task of more classes than the view sends, the
  // classes of most items (classIds) and one bar for the others.
  function classBars(node, c) {
    var labels, counts = c.classes.slice();
    if (c.classIds) {
      labels = c.classIds.map(String);
      if (c.otherClasses.items > 0) {
        labels.push('other');
        counts.push(c.otherClasses.items);
      }
    } else {
      labels = counts.map(function (n, i) { return String(i); });
    }
    chart(node).setOption({
      animation: false,
      title: {text: c.classIds ? 'Items by most likely class, most first' : 'Items by most likely class',
        textStyle: {fontSize: 12}},
      tooltip: {},
      grid: {left: 50, right: 10, top: 30, bottom: 35},
      xAxis: {type: 'category', data: labels, name: 'class', nameLocation: 'middle', nameGap: 22},
      yAxis: {type: 'value', minInterval: 1},
      series: [{type: 'bar', data: counts}]
    }, true);
  }

  // What the class bars leave out, said under them; empty when they show every class some item is of.
  function classesCut(c) {
    if (!c.classIds || c.otherClasses.classes === 0) { return ''; }
    return 'The ' + c.classIds.length + ' classes of most items are drawn; ' + c.otherClasses.classes
      + ' other classes, of ' + c.otherClasses.items + ' items, are the bar "other".';
  }

  // The variants a task's records name: the page names a variant only when there are several.
  function variantsOf(t) {
    var names = {};
    t.variants.concat(t.annotators, t.consensus || []).forEach(function (r) { names[r.variant] = true; });
    return Object.keys(names).length;
  }

  // A task's consensus coverage, a block per variant that comes and goes with the variant's consensus records.
  function renderConsensus(section, coverage, namedVariants) {
    var variants = coverage.map(function (c) { return c.variant; });
    Array.prototype.slice.call(section.children).forEach(function (e) {
      if (e.matches('.consensus') && variants.indexOf(e.dataset.variant) < 0) { disposeCharts(e); e.remove(); }
    });
    coverage.forEach(function (c) { renderCoverage(section, c, namedVariants); });
  }

  function renderCoverage(section, c, namedVariants) {
    var block = Array.prototype.find.call(section.children, function (e) {
      return e.matches('.consensus') && e.dataset.variant === c.variant;
    });
    if (!block) {
      block = el('div', {'class': 'consensus'});
      block.dataset.variant = c.variant;
      var title = el('h3', {}, 'Consensus');
      title.append(el('span', {'class': 'consensus-variant'}), ': ', el('span', {'class': 'consensus-items'}),
        ' items');
      block.append(title, el('table', {'class': 'coverage'}), el('div', {'class': 'consensus-classes'}),
        el('p', {'class': 'classes-cut'}), el('table', {'class': 'changes'}));
      section.appendChild(block);
    }
    block.querySelector('.consensus-variant').textContent = namedVariants ? ' of variant ' + c.variant : '';
    block.querySelector('.consensus-items').textContent = String(c.items);
    table(block.querySelector('.coverage'),
      ['posterior max ≥ 0.9', 'posterior max ≥ 0.5', 'mean labels per item', 'forgotten (over the bound)'],
      [[percent(c.posteriorMax.atLeast90), percent(c.posteriorMax.atLeast50), fmt(c.meanLabels, 2), c.forgotten]]);
    classBars(block.querySelector('.consensus-classes'), c);
    var cut = block.querySelector('.classes-cut');
    cut.textContent = classesCut(c);
    cut.hidden = cut.textContent === '';
    table(block.querySelector('.changes'),
      ['latest changed item', 'most likely', 'was', 'posterior max', 'labels', 'version', 'updated'],
      c.recent.map(function (r) {
        return [r.item, r.mostLikely, r.previous === null ? 'new' : r.previous, fmt(r.posteriorMax, 3), r.labels,
          r.version, time(r.updatedAt)];
      }));
  }

  // A task's section: its parts in page order, made once. A part without data is hidden (and emptied), so that a
  // task that drops to one variant or loses its annotators shows no leaderboard or heatmaps from before.
  function skeleton(section, name) {
    if (section.firstChild) { return; }
    section.append(el('h2', {}, 'Task ' + name), el('div', {'class': 'curve'}), el('table', {'class': 'models'}),
      el('h3', {'class': 'board'}, 'Leaderboard'), el('table', {'class': 'leaderboard'}),
      el('h3', {'class': 'ann'}, 'Annotators'), el('table', {'class': 'annotators'}), el('div', {'class': 'heatmaps'}),
      el('p', {'class': 'matrices-hidden'}));
  }

  function part(section, selector) {
    return section.querySelector(':scope > ' + selector);
  }

  function show(section, selectors, shown) {
    selectors.forEach(function (selector) { part(section, selector).hidden = !shown; });
  }

  function renderTask(section, t) {
    var namedVariants = variantsOf(t) > 1;
    skeleton(section, t.task);
    curve(part(section, '.curve'), t.variants);
    table(part(section, '.models'),
      ['variant', 'model version', 'examples seen', 'algorithm', 'snapshots', 'published'], t.variants.map(function (v) {
        return [v.variant, v.version, v.examplesSeen, v.algorithm, v.snapshots, time(v.createdAt)];
      }));
    var board = t.leaderboard || [];
    show(section, ['h3.board', '.leaderboard'], board.length > 0);
    table(part(section, '.leaderboard'), ['rank', 'variant', 'model version', 'prequential accuracy'],
      board.map(function (v, i) { return [i + 1, v.variant, v.version, fmt(v.prequentialAccuracy, 4)]; }));
    show(section, ['h3.ann', '.annotators', '.heatmaps'], t.annotators.length > 0);
    // Each variant's label model has its own model of an annotator.
    var head = ['annotator', 'version', 'reliability', 'weight', 'labels seen'];
    table(part(section, '.annotators'), namedVariants ? ['variant'].concat(head) : head,
      t.annotators.map(function (a) {
        var row = [a.annotator, a.version, fmt(a.reliability, 3), fmt(a.weight, 3), a.labelsSeen];
        return namedVariants ? [a.variant].concat(row) : row;
      }));
    // Annotators come most active first; a matrix past the view's bound on cells is not sent, only counted.
    var maps = part(section, '.heatmaps');
    var shown = t.annotators.filter(function (a) { return !a.matrixHidden; });
    var keys = shown.map(function (a) { return JSON.stringify([a.variant, a.annotator]); });
    var wanted = new Set(keys), existing = new Map();
    Array.prototype.slice.call(maps.children).forEach(function (m) {
      if (wanted.has(m.dataset.key)) { existing.set(m.dataset.key, m); } else { echarts.dispose(m); m.remove(); }
    });
    var hidden = part(section, '.matrices-hidden');
    hidden.hidden = !t.matricesHidden;
    hidden.textContent = t.matricesHidden ? 'Confusion matrices of ' + t.matricesHidden + ' less active annotators '
      + 'are not drawn: the dashboard sends a bounded number of matrix cells over all tasks, each task\'s most '
      + 'active annotators first.' : '';
    shown.forEach(function (a, i) {
      var name = namedVariants ? a.annotator + ' · ' + a.variant : a.annotator;
      var node = existing.get(keys[i]);
      if (!node) {
        node = el('div', {'class': 'heatmap'});
        node.dataset.key = keys[i];
      }
      maps.appendChild(node); // in the view's order, most active first, as that order changes
      node.title = 'confusion matrix of ' + name;
      heatmap(node, a, name);
    });
    renderConsensus(section, t.consensus || [], namedVariants);
  }

  // Each task apart: a task the page cannot show says so in its section, and the others are still shown.
  function renderTasks(tasks, failed) {
    var main = document.getElementById('tasks');
    var names = new Set(tasks.map(function (t) { return t.task; })), existing = new Map();
    Array.prototype.slice.call(main.children).forEach(function (s) {
      if (names.has(s.dataset.task)) { existing.set(s.dataset.task, s); } else { disposeCharts(s); s.remove(); }
    });
    tasks.forEach(function (t) {
      var section = existing.get(t.task);
      if (!section) {
        section = el('section', {'class': 'task'});
        section.dataset.task = t.task;
        main.appendChild(section);
      }
      var problem = section.querySelector(':scope > .render-error');
      try {
        renderTask(section, t);
        if (problem) { problem.remove(); }
      } catch (e) {
        failed.push('task ' + t.task + ' (' + e + ')');
        if (!problem) { problem = el('p', {'class': 'render-error'}); section.prepend(problem); }
        problem.textContent = 'Task ' + t.task + ' cannot be shown: ' + e;
      }
    });
    document.getElementById('no-tasks').hidden = tasks.length > 0;
  }

  function renderDeadLetters(d) {
    document.getElementById('dead-letter-total').textContent = String(d.total);
    var rows = [];
    d.byField.forEach(function (f) {
      f.reasons.forEach(function (r, i) { rows.push([i === 0 ? f.field : '', i === 0 ? f.count : '', r.reason, r.count]); });
      if (f.otherReasons) { rows.push(['', '', '(other reasons)', f.otherReasons]); }
    });
    table(document.getElementById('dead-letter-fields'), ['field', 'dead letters', 'reason', 'count'], rows);
  }

  // Records the view left out, by the bound they were past: counted, never silently dropped.
  function renderDropped(dropped) {
    var list = document.getElementById('dropped');
    list.replaceChildren();
    (dropped || []).forEach(function (d) {
      list.appendChild(el('li', {}, d.count + ' ' + d.bound + ' not shown'));
    });
  }

  function renderTopics(topics) {
    var list = document.getElementById('topics');
    list.replaceChildren();
    topics.forEach(function (t) {
      if (t.problem) { list.appendChild(el('li', {}, t.topic + ': ' + t.problem)); }
      if (t.undecodable) {
        list.appendChild(el('li', {}, t.topic + ': ' + t.undecodable + ' records not shown (no Chorus record, or a '
          + 'field out of range), the last at ' + t.lastUndecodable));
      }
    });
  }

  // Each part apart, so that one the page cannot show leaves the others up to date; the parts that failed.
  function render(view) {
    var failed = [];
    function attempt(name, draw) {
      try { draw(); } catch (e) { failed.push(name + ' (' + e + ')'); }
    }
    attempt('topics', function () { renderTopics(view.topics); });
    attempt('dropped records', function () { renderDropped(view.dropped); });
    attempt('tasks', function () { renderTasks(view.tasks, failed); });
    attempt('dead letters', function () { renderDeadLetters(view.deadLetters); });
    return failed;
  }

  var status = document.getElementById('status');
  var events = new EventSource('/api/events');
  events.addEventListener('view', function (e) {
    var failed;
    try {
      failed = render(JSON.parse(e.data));
    } catch (err) {
      failed = ['the view (' + err + ')'];
    }
    var updated = new Date().toLocaleTimeString();
    status.classList.toggle('render-error', failed.length > 0);
    status.textContent = failed.length === 0 ? 'live, updated ' + updated
      : 'updated ' + updated + ', but could not show: ' + failed.join('; ');
  });
  events.onerror = function () { status.textContent = 'disconnected from chorus ui; retrying…'; };
  window.addEventListener('resize', function () {
    document.querySelectorAll(CHARTS).forEach(function (n) {
      var c = echarts.getInstanceByDom(n); // none on a matrix too large to draw
      if (c) { c.resize(); }
    });
  });
}());
