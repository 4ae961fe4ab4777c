/* rtbench HTML report: turns the chart descriptions embedded in the page into Chart.js charts.
   Plain browser script, inlined into every report after Chart.js; no network, no modules. */
/* global document, Chart */
(function () {
  'use strict';

  function formatSig(n, digits) {
    var d = digits === undefined ? 3 : digits;
    if (!isFinite(n)) return '–';
    if (n === 0) return '0';
    var magnitude = Math.floor(Math.log10(Math.abs(n)));
    if (magnitude >= d - 1) return String(Math.round(n));
    var decimals = Math.min(20, d - 1 - magnitude);
    var text = n.toFixed(decimals);
    if (Math.abs(Number(text)) >= Math.pow(10, magnitude + 1) && decimals > 0) text = n.toFixed(decimals - 1);
    return text;
  }

  function formatCount(n) {
    var r = Math.round(n);
    return (r < 0 ? '-' : '') + String(Math.abs(r)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }

  function trim(text) {
    // "2.00 s" -> "2 s", "1.50 ms" -> "1.5 ms" (axis ticks only)
    return text.replace(/(\.\d*?)0+(?=\D|$)/, '$1').replace(/\.(?=\D|$)/, '');
  }

  var BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

  var FORMATS = {
    us: function (us) {
      var a = Math.abs(us);
      if (a < 999.5) return Math.round(us) + ' µs';
      if (a < 999500) return formatSig(us / 1000) + ' ms';
      return formatSig(us / 1e6) + ' s';
    },
    ms: function (ms) {
      return formatSig(ms) + ' ms';
    },
    bytes: function (b) {
      var v = b;
      var u = 0;
      while (Math.abs(v) >= 1023.5 && u < BYTE_UNITS.length - 1) {
        v /= 1024;
        u += 1;
      }
      return u === 0 ? Math.round(v) + ' B' : formatSig(v) + ' ' + BYTE_UNITS[u];
    },
    count: function (n) {
      return Math.abs(n) >= 1000 || Number.isInteger(n) ? formatCount(n) : formatSig(n);
    },
    ratio: function (n) {
      if (n === 0) return '0';
      return formatSig(n);
    },
    rate: function (n) {
      return (Math.abs(n) >= 999.5 ? formatCount(n) : formatSig(n)) + '/s';
    },
    seconds: function (s) {
      return formatSig(s) + ' s';
    },
    percentile: function (x) {
      var p = 100 * (1 - 1 / x);
      return p.toFixed(6).replace(/\.?0+$/, '') + '%';
    },
  };

  function format(kind, value, forTick) {
    var f = FORMATS[kind] || formatSig;
    var text = f(value);
    return forTick && kind !== 'percentile' ? trim(text) : text;
  }

  /** Ticks for a log axis: 1-2-5 steps, or powers of ten when that would crowd the axis. */
  function logTicks(min, max, kind) {
    if (!(min > 0) || !(max > min)) return null;
    var lo = Math.floor(Math.log10(min));
    var hi = Math.ceil(Math.log10(max));
    var mantissas = kind === 'percentile' ? [1, 2] : hi - lo > 4 ? [1] : [1, 2, 5];
    var ticks = [];
    for (var e = lo; e <= hi; e += 1) {
      for (var i = 0; i < mantissas.length; i += 1) {
        var v = mantissas[i] * Math.pow(10, e);
        if (kind === 'percentile' && e > 0 && mantissas[i] === 2) continue;
        if (v >= min * 0.999 && v <= max * 1.001) ticks.push({ value: v });
      }
    }
    return ticks;
  }

  /** Ticks for a linear byte axis at round binary steps (0, 256 KiB, 512 KiB... rather than 19.1 MiB). */
  function byteTicks(min, max) {
    if (!(max > min)) return null;
    var unit = 1;
    while ((max - min) / unit >= 1024 * 4 && unit < Math.pow(1024, 4)) unit *= 1024;
    var raw = (max - min) / unit / 6;
    var pow = Math.pow(10, Math.floor(Math.log10(raw)));
    var nice = [1, 2, 2.5, 5, 10].map(function (m) { return m * pow; }).filter(function (m) { return m >= raw; })[0];
    var step = nice * unit;
    var ticks = [];
    for (var v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push({ value: v });
    return ticks;
  }

  function axis(spec, isX) {
    var scale = {
      type: spec.scale === 'log' ? 'logarithmic' : 'linear',
      title: { display: spec.title !== '', text: spec.title },
      ticks: {
        callback: function (value) {
          return format(spec.format, Number(value), true);
        },
        maxRotation: 0,
        autoSkip: spec.scale !== 'log',
      },
      grid: { color: 'rgba(0, 0, 0, 0.08)' },
    };
    if (spec.min !== undefined) scale.min = spec.min;
    if (spec.max !== undefined) scale.max = spec.max;
    if (spec.scale === 'log') {
      scale.afterBuildTicks = function (a) {
        var ticks = logTicks(a.min, a.max, spec.format);
        if (ticks && ticks.length >= 2) a.ticks = ticks;
      };
    } else {
      if (!isX) {
        scale.beginAtZero = true;
        scale.grace = '12%';
      }
      if (spec.format === 'bytes') {
        scale.afterBuildTicks = function (a) {
          var ticks = byteTicks(a.min, a.max);
          if (ticks && ticks.length >= 2) a.ticks = ticks;
        };
      }
    }
    return scale;
  }

  function lineConfig(spec) {
    return {
      type: 'scatter',
      data: {
        datasets: spec.series.map(function (s) {
          return {
            label: s.label,
            data: s.points.map(function (p) {
              return { x: p[0], y: p[1] };
            }),
            showLine: s.line !== false,
            borderColor: s.color,
            backgroundColor: s.pointColors || s.color,
            borderDash: s.dashed ? [6, 4] : [],
            borderWidth: s.width || 2,
            pointRadius: s.pointRadii || s.pointRadius || 0,
            pointHoverRadius: (s.pointRadius || 0) + 3,
            pointStyle: s.pointStyles || s.pointStyle || 'circle',
            pointBorderColor: s.line === false ? '#222222' : s.color,
            rtLegend: s.legend !== false,
          };
        }),
      },
      options: {
        scales: { x: axis(spec.x, true), y: axis(spec.y, false) },
        plugins: {
          legend: {
            position: 'bottom',
            labels: {
              usePointStyle: false,
              boxWidth: 14,
              filter: function (item, data) {
                return data.datasets[item.datasetIndex].rtLegend !== false;
              },
            },
          },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                return ctx.dataset.label + ': ' + format(spec.y.format, ctx.parsed.y) + ' at ' + format(spec.x.format, ctx.parsed.x);
              },
            },
          },
        },
      },
    };
  }

  /** Writes each bar's label above it, or the reason it is missing at the baseline. */
  var barLabels = {
    id: 'rtbenchBarLabels',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var specSets = chart.config.options.rtDatasets;
      if (!specSets) return;
      ctx.save();
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      chart.data.datasets.forEach(function (ds, d) {
        var meta = chart.getDatasetMeta(d);
        if (meta.hidden) return;
        meta.data.forEach(function (bar, i) {
          var label = specSets[d].labels[i];
          var missing = specSets[d].values[i] === null;
          ctx.font = (label.indexOf('★') >= 0 ? '600 ' : '') + '11px ' + Chart.defaults.font.family;
          ctx.fillStyle = missing ? '#a33' : '#222';
          var y = missing ? chart.chartArea.bottom - 2 : bar.y - 3;
          var star = label.indexOf(' ★');
          if (!missing && star >= 0 && ctx.measureText(label).width > bar.width + 6) {
            // a narrow bar (several per transport): the star goes on its own line so labels do not overlap
            ctx.fillText('★', bar.x, y - 13);
            label = label.slice(0, star);
          }
          ctx.fillText(label, bar.x, y);
        });
      });
      ctx.restore();
    },
  };

  function barConfig(spec) {
    return {
      type: 'bar',
      data: {
        labels: spec.categories,
        datasets: spec.datasets.map(function (ds) {
          return { label: ds.label, data: ds.values, backgroundColor: ds.colors, borderWidth: 0, rtLegendColor: ds.legendColor };
        }),
      },
      options: {
        rtDatasets: spec.datasets,
        scales: { x: { grid: { display: false } }, y: axis(spec.y, false) },
        plugins: {
          legend: {
            display: spec.legend,
            position: 'bottom',
            labels: {
              boxWidth: 14,
              generateLabels: function (chart) {
                return chart.data.datasets.map(function (ds, i) {
                  return { text: ds.label, fillStyle: ds.rtLegendColor, strokeStyle: ds.rtLegendColor, lineWidth: 0, hidden: !chart.isDatasetVisible(i), datasetIndex: i };
                });
              },
            },
          },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                return ctx.dataset.label + ': ' + spec.datasets[ctx.datasetIndex].labels[ctx.dataIndex];
              },
            },
          },
        },
      },
      plugins: [barLabels],
    };
  }

  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.devicePixelRatio = 2;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  Chart.defaults.font.size = 12;
  Chart.defaults.color = '#333';

  var specs = JSON.parse(document.getElementById('rtbench-charts').textContent);
  var drawn = 0;
  specs.forEach(function (spec) {
    var canvas = document.getElementById('chart-' + spec.id);
    if (!canvas) {
      console.error('rtbench report: no canvas for chart ' + spec.id);
      return;
    }
    try {
      new Chart(canvas, spec.kind === 'bar' ? barConfig(spec) : lineConfig(spec));
      drawn += 1;
    } catch (err) {
      console.error('rtbench report: chart ' + spec.id + ' failed: ' + (err && err.message));
      canvas.insertAdjacentText('afterend', 'This chart could not be drawn.');
    }
  });
  document.documentElement.setAttribute('data-charts-drawn', String(drawn));
})();
