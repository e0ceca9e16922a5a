package dev.chorus.cli.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Paint;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.StandardChartTheme;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.DefaultDrawingSupplier;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * PNG charts of the benchmarks' results ({@code chorus bench … --plots DIR}), drawn with JFreeChart from the very
 * maps each benchmark writes with {@code --json}, so that a chart never shows a figure the JSON does not hold.
 * Each method writes its benchmark's charts into a directory (made if missing) and returns the files it wrote; a
 * result without the figures a chart needs (an older JSON, a skipped line) gives no chart rather than an empty one.
 */
public final class Plots {

  static {
    // Charts are drawn into images: never ask for a display, which a server or CI machine does not have.
    System.setProperty("java.awt.headless", "true");
  }

  /** Size of every chart but the confusion heatmaps. */
  public static final int WIDTH = 900;
  public static final int HEIGHT = 540;
  /** Side of one confusion heatmap, and the height of the title above a grid of them. */
  public static final int HEATMAP_SIDE = 320;
  public static final int HEATMAP_TITLE = 40;
  /** The e2e targets as ratios to the raw-consume ceiling (docs/BENCHMARKS.md, "Against the issue's targets"). */
  static final Map<String, Double> E2E_TARGETS = new LinkedHashMap<>(Map.of("MLP-256 ≥ 0.4", 0.4,
      "softmax ≥ 0.6", 0.6, "serve ≥ 0.7", 0.7));
  /** Confusion heatmaps shade √p: the off-diagonal errors, a few percent, would otherwise be white. */
  private static final PaintScale SQRT_BLUES = new PaintScale() {
    @Override
    public double getLowerBound() {
      return 0;
    }

    @Override
    public double getUpperBound() {
      return 1;
    }

    @Override
    public Paint getPaint(double value) {
      double t = Math.sqrt(Math.max(0, Math.min(1, value)));
      return new Color((int) Math.round(255 - 247 * t), (int) Math.round(255 - 207 * t),
          (int) Math.round(255 - 148 * t));
    }
  };
  /** White plots, flat bars and a palette told apart in print and by colour-blind readers (Okabe and Ito). */
  private static final StandardChartTheme THEME = theme();

  private Plots() {}

  private static StandardChartTheme theme() {
    StandardChartTheme theme = (StandardChartTheme) StandardChartTheme.createJFreeTheme();
    theme.setPlotBackgroundPaint(Color.WHITE);
    theme.setDomainGridlinePaint(new Color(0xCCCCCC));
    theme.setRangeGridlinePaint(new Color(0xCCCCCC));
    theme.setBarPainter(new StandardBarPainter());
    theme.setShadowVisible(false);
    Paint[] palette = {new Color(0x0072B2), new Color(0xE69F00), new Color(0x009E73), new Color(0xCC79A7),
        new Color(0x56B4E9), new Color(0xD55E00), new Color(0x000000), new Color(0xF0E442)};
    theme.setDrawingSupplier(new DefaultDrawingSupplier(palette, DefaultDrawingSupplier.DEFAULT_FILL_PAINT_SEQUENCE,
        DefaultDrawingSupplier.DEFAULT_OUTLINE_PAINT_SEQUENCE, DefaultDrawingSupplier.DEFAULT_STROKE_SEQUENCE,
        DefaultDrawingSupplier.DEFAULT_OUTLINE_STROKE_SEQUENCE, DefaultDrawingSupplier.DEFAULT_SHAPE_SEQUENCE));
    return theme;
  }

  /** {@code bench learn}: test accuracy against passes over the training set, one line per model. */
  public static List<Path> learn(Map<String, Object> results, Path dir) throws IOException {
    double trainExamples = number(at(results, "config.train_examples"), 1);
    XYSeriesCollection lines = new XYSeriesCollection();
    for (Map.Entry<String, Object> model : results.entrySet()) {
      List<Map<String, Object>> curve = points(map(model.getValue()).get("curve"));
      if (!curve.isEmpty()) {
        XYSeries line = new XYSeries(model.getKey());
        for (Map<String, Object> point : curve) {
          line.add(number(point.get("examples"), 0) / trainExamples, number(point.get("test_accuracy"), 0));
        }
        lines.addSeries(line);
      }
    }
    if (lines.getSeriesCount() == 0) {
      return List.of();
    }
    return List.of(write(curves("bench learn: clean test accuracy while training", "passes over the training set",
        "test accuracy", lines), dir, "learn-curves.png"));
  }

  /**
   * {@code bench crowd}, per model: each method's mean accuracy over the seeds while it trains, the first seed's
   * true and estimated confusions of a few annotators (one image per method), and the corruption track.
   */
  public static List<Path> crowd(Map<String, Object> results, Path dir) throws IOException {
    List<Path> written = new ArrayList<>();
    for (Map.Entry<String, Object> entry : results.entrySet()) {
      String model = entry.getKey();
      Map<String, Object> figures = map(entry.getValue());
      XYSeriesCollection lines = new XYSeriesCollection();
      for (Map.Entry<String, Object> method : map(figures.get("curves")).entrySet()) {
        XYSeries line = new XYSeries(method.getKey());
        for (Map<String, Object> point : points(method.getValue())) {
          line.add(number(point.get("passes"), 0), number(point.get("accuracy_mean"), 0));
        }
        lines.addSeries(line);
      }
      if (lines.getSeriesCount() > 0) {
        written.add(write(curves("bench crowd, " + model + ": validation accuracy while training (mean over seeds)",
            "passes over the label stream", "validation accuracy", lines), dir, "crowd-" + model + "-curves.png"));
      }
      Map<String, Object> confusions = map(figures.get("confusions"));
      Map<String, Object> annotators = map(confusions.get("annotators"));
      Set<String> methods = new LinkedHashSet<>();
      annotators.values().forEach(a -> methods.addAll(map(a).keySet()));
      methods.remove("true");
      for (String method : methods) {
        Path file = dir.resolve("crowd-" + model + "-confusions-" + method + ".png");
        writeHeatmaps(file, "bench crowd, " + model + ", seed " + confusions.get("seed") + ": true confusion (left), "
            + method + "'s estimate (right)", annotators, method);
        written.add(file);
      }
      XYSeriesCollection corruption = corruptionLines(map(figures.get("corruption")));
      if (corruption.getSeriesCount() > 0) {
        written.add(write(curves("bench crowd, " + model + ": one annotator who corrupts labels with probability p",
            "p", "test accuracy", corruption), dir, "crowd-" + model + "-corruption.png"));
      }
    }
    return written;
  }

  /** {@code bench e2e}: each line's rate as a ratio to the raw-consume ceiling, with the issue's targets. */
  public static List<Path> e2e(Map<String, Object> results, Path dir) throws IOException {
    Map<String, Double> ratios = e2eRatios(results);
    if (ratios.isEmpty()) {
      return List.of();
    }
    DefaultCategoryDataset bars = new DefaultCategoryDataset();
    ratios.forEach((line, ratio) -> bars.addValue(ratio, "ratio to raw consume", line));
    JFreeChart chart = ChartFactory.createBarChart("bench e2e: examples/s as a ratio to the raw-consume ceiling",
        null, "ratio to raw consume", bars, PlotOrientation.HORIZONTAL, false, false, false);
    CategoryPlot plot = chart.getCategoryPlot();
    plot.setRangeAxisLocation(AxisLocation.BOTTOM_OR_LEFT);
    int row = 0;
    for (Map.Entry<String, Double> target : E2E_TARGETS.entrySet()) {
      ValueMarker marker = new ValueMarker(target.getValue(), new Color(200, 40, 40), new BasicStroke(1.5f));
      marker.setLabel(target.getKey());
      marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      marker.setLabelBackgroundColor(Color.WHITE);
      marker.setLabelAnchor(RectangleAnchor.BOTTOM_RIGHT);
      marker.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
      // One above the other, as the targets are too close for their labels to share a line.
      marker.setLabelOffset(new RectangleInsets(2, 3, 2 + 16 * row++, 3));
      plot.addRangeMarker(marker, Layer.FOREGROUND);
    }
    return List.of(write(chart, dir, "e2e-ratio-to-raw.png"));
  }

  /**
   * Every line of an e2e result that measured a rate, by its dotted key in result order, and its ratio to the
   * raw-consume ceiling (1 for the ceiling itself).
   */
  static Map<String, Double> e2eRatios(Map<String, Object> results) {
    Map<String, Double> ratios = new LinkedHashMap<>();
    if (results.get("raw_consume") instanceof Map<?, ?>) {
      ratios.put("raw_consume", 1.0);
    }
    collectRatios("", results, ratios);
    return ratios;
  }

  private static void collectRatios(String prefix, Map<String, Object> node, Map<String, Double> ratios) {
    for (Map.Entry<String, Object> entry : node.entrySet()) {
      if (!(entry.getValue() instanceof Map<?, ?>) || entry.getKey().equals("config")) {
        continue;
      }
      Map<String, Object> child = map(entry.getValue());
      String key = prefix + entry.getKey();
      if (child.get("ratio_to_raw") instanceof Number ratio) {
        ratios.put(key, ratio.doubleValue());
      } else {
        collectRatios(key + ".", child, ratios);
      }
    }
  }

  /** {@code bench latency}: p50, p95, p99 and max per delivery mode and rate, on a log scale. */
  public static List<Path> latency(Map<String, Object> results, Path dir) throws IOException {
    DefaultCategoryDataset bars = new DefaultCategoryDataset();
    for (Map.Entry<String, Object> mode : results.entrySet()) {
      for (Map.Entry<String, Object> rate : map(mode.getValue()).entrySet()) {
        Map<String, Object> run = map(rate.getValue());
        String line = mode.getKey().replace('_', '-') + ", " + rate.getKey().replace("rate_", "") + "/s";
        for (String q : List.of("p50", "p95", "p99", "max")) {
          if (run.get(q + "_ms") instanceof Number ms) {
            bars.addValue(ms, q, line);
          }
        }
      }
    }
    if (bars.getColumnCount() == 0) {
      return List.of();
    }
    JFreeChart chart = ChartFactory.createBarChart("bench latency: example produced to prediction consumed", null,
        "ms", bars, PlotOrientation.VERTICAL, true, false, false);
    LogAxis ms = new LogAxis("ms (log scale)");
    ms.setSmallestValue(1);
    ms.setTickUnit(new NumberTickUnit(1));
    ms.setNumberFormatOverride(new DecimalFormat("#,##0.#"));
    chart.getCategoryPlot().setRangeAxis(ms);
    return List.of(write(chart, dir, "latency-percentiles.png"));
  }

  /** {@code bench soak}: heap after GC, checkpointed state and checkpoint duration against minutes. */
  public static List<Path> soak(Map<String, Object> results, Path dir) throws IOException {
    List<Map<String, Object>> samples = points(results.get("samples"));
    if (samples.isEmpty()) {
      return List.of();
    }
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("minute"));
    String[][] panels = {{"heap_after_gc_mb", "heap after GC, MB"}, {"state_bytes", "state, KB"},
        {"checkpoint_ms", "checkpoint, ms"}};
    for (String[] panel : panels) {
      XYSeries series = new XYSeries(panel[1]);
      double scale = panel[0].equals("state_bytes") ? 1024 : 1;
      for (Map<String, Object> sample : samples) {
        series.add(number(sample.get("minute"), 0), number(sample.get(panel[0]), 0) / scale);
      }
      NumberAxis axis = new NumberAxis(panel[1]);
      axis.setAutoRangeIncludesZero(false);
      plot.add(new XYPlot(new XYSeriesCollection(series), null, axis, new XYLineAndShapeRenderer(true, true)));
    }
    JFreeChart chart = new JFreeChart("bench soak: " + results.get("minutes") + " minutes at " + results.get("rate")
        + " examples/s", JFreeChart.DEFAULT_TITLE_FONT, plot, false);
    return List.of(write(chart, dir, "soak-over-time.png"));
  }

  /** {@code bench history}: heap and checkpoint bytes per item the label history holds. */
  public static List<Path> history(Map<String, Object> results, Path dir) throws IOException {
    DefaultCategoryDataset bars = new DefaultCategoryDataset();
    String bound = "historyItems " + results.get("history_items_bound");
    bars.addValue(number(results.get("heap_bytes_per_item"), 0), "heap after GC", bound);
    bars.addValue(number(results.get("checkpoint_bytes_per_item"), 0), "checkpoint", bound);
    JFreeChart chart = ChartFactory.createBarChart("bench history: bytes per item of the label history", null,
        "bytes per item", bars, PlotOrientation.VERTICAL, true, false, false);
    return List.of(write(chart, dir, "history-bytes-per-item.png"));
  }

  /**
   * {@code bench select}: the served prequential accuracy per window of examples, with and without drift handling,
   * for the abrupt and the gradual change: the constant-rate learner's ({@code select-drift.png}) and the decayed
   * one's ({@code select-drift-decayed.png}).
   */
  public static List<Path> select(Map<String, Object> results, Path dir) throws IOException {
    List<Path> written = new ArrayList<>();
    for (String learner : List.of("", "decayed.")) {
      XYSeriesCollection lines = new XYSeriesCollection();
      for (String track : List.of("abrupt", "gradual")) {
        for (String handling : List.of("with_handling", "without_handling")) {
          XYSeries line = new XYSeries(track + ", " + handling.replace('_', ' '));
          for (Map<String, Object> point : points(at(results, "drift." + learner + track + "." + handling
              + ".curve"))) {
            line.add(number(point.get("examples"), 0), number(point.get("accuracy"), 0));
          }
          if (!line.isEmpty()) {
            lines.addSeries(line);
          }
        }
      }
      if (lines.getSeriesCount() > 0) {
        String decayed = learner.isEmpty() ? "" : "-decayed";
        written.add(write(curves("bench select: prequential accuracy around the change (midpoint)"
            + (learner.isEmpty() ? "" : ", decaying learning rate"), "examples of the stream",
            "accuracy of the served predictions", lines), dir, "select-drift" + decayed + ".png"));
      }
    }
    return written;
  }

  /**
   * {@code bench sparse}: prequential accuracy against training examples per learner on the package catalogue,
   * and per hashed dimension the heap an FTRL model holds beside its stated bytes.
   */
  public static List<Path> sparse(Map<String, Object> results, Path dir) throws IOException {
    List<Path> written = new ArrayList<>();
    XYSeriesCollection lines = new XYSeriesCollection();
    for (Map.Entry<String, Object> learner : map(results.get("packages")).entrySet()) {
      XYSeries line = new XYSeries(learner.getKey());
      points(map(learner.getValue()).get("curve")).forEach(point ->
          line.add(number(point.get("examples"), 0), number(point.get("accuracy"), 0)));
      if (!line.isEmpty()) {
        lines.addSeries(line);
      }
    }
    if (lines.getSeriesCount() > 0) {
      written.add(write(curves("bench sparse: package sections, one pass at 2^" + at(results, "packages.config.bits")
          + " hashed dims", "training examples", "prequential accuracy",
          lines), dir, "sparse-packages-curves.png"));
    }
    DefaultCategoryDataset bars = new DefaultCategoryDataset();
    for (Map.Entry<String, Object> dims : map(results.get("memory")).entrySet()) {
      Map<String, Object> figures = map(dims.getValue());
      String name = dims.getKey().replace("dims_2_", "2^");
      bars.addValue(number(figures.get("heap_bytes"), 0) / 1048576, "heap after GC", name);
      bars.addValue(number(figures.get("stated_bytes"), 0) / 1048576, "parameters x stated bytes", name);
    }
    if (bars.getColumnCount() > 0) {
      written.add(write(ChartFactory.createBarChart("bench sparse: heap of an FTRL logistic model per hashed "
          + "dimension", null, "MiB", bars, PlotOrientation.VERTICAL, true, false, false), dir, "sparse-memory.png"));
    }
    return written;
  }

  private static JFreeChart curves(String title, String x, String y, XYSeriesCollection lines) {
    JFreeChart chart = ChartFactory.createXYLineChart(title, x, y, lines, PlotOrientation.VERTICAL, true, false,
        false);
    XYPlot plot = chart.getXYPlot();
    plot.setRenderer(new XYLineAndShapeRenderer(true, true));
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    return chart;
  }

  /** One line per method: its accuracy at each corruption level {@code p<level>}, e.g. {@code p0_5}. */
  private static XYSeriesCollection corruptionLines(Map<String, Object> corruption) {
    Map<String, XYSeries> byMethod = new LinkedHashMap<>();
    for (Map.Entry<String, Object> level : corruption.entrySet()) {
      double p = Double.parseDouble(level.getKey().substring(1).replace('_', '.'));
      for (Map.Entry<String, Object> method : map(level.getValue()).entrySet()) {
        if (map(method.getValue()).get("accuracy_mean") instanceof Number accuracy) {
          byMethod.computeIfAbsent(method.getKey(), XYSeries::new).add(p, accuracy);
        }
      }
    }
    XYSeriesCollection lines = new XYSeriesCollection();
    byMethod.values().forEach(lines::addSeries);
    return lines;
  }

  /** A grid of heatmaps: a row per annotator, its true confusion on the left and {@code method}'s on the right. */
  private static void writeHeatmaps(Path file, String title, Map<String, Object> annotators, String method)
      throws IOException {
    BufferedImage image = new BufferedImage(2 * HEATMAP_SIDE, HEATMAP_TITLE + annotators.size() * HEATMAP_SIDE,
        BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
      g.drawString(title, 8, 16);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      g.drawString("row: true class, column: label given; shade: √p, white 0 to dark blue 1", 8, 32);
      int row = 0;
      for (Map.Entry<String, Object> annotator : annotators.entrySet()) {
        Map<String, Object> matrices = map(annotator.getValue());
        String[] columns = {"true", method};
        for (int c = 0; c < columns.length; c++) {
          Object matrix = matrices.get(columns[c]);
          if (matrix != null) {
            heatmap(annotator.getKey() + ": " + (c == 0 ? "true" : "estimated"), matrix(matrix)).draw(g,
                new Rectangle2D.Double(c * HEATMAP_SIDE, HEATMAP_TITLE + row * HEATMAP_SIDE, HEATMAP_SIDE,
                    HEATMAP_SIDE));
          }
        }
        row++;
      }
    } finally {
      g.dispose();
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (OutputStream out = Files.newOutputStream(file)) {
      ChartUtils.writeBufferedImageAsPNG(out, image);
    }
  }

  private static JFreeChart heatmap(String title, double[][] confusion) {
    int k = confusion.length;
    double[][] cells = new double[3][k * k];
    for (int t = 0; t < k; t++) {
      for (int l = 0; l < k; l++) {
        cells[0][t * k + l] = l;
        cells[1][t * k + l] = t;
        cells[2][t * k + l] = confusion[t][l];
      }
    }
    DefaultXYZDataset data = new DefaultXYZDataset();
    data.addSeries(title, cells);
    XYBlockRenderer renderer = new XYBlockRenderer();
    renderer.setPaintScale(SQRT_BLUES);
    NumberAxis label = new NumberAxis("label given");
    NumberAxis truth = new NumberAxis("true class");
    for (NumberAxis axis : new NumberAxis[] {label, truth}) {
      axis.setRange(-0.5, k - 0.5);
      axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    }
    truth.setInverted(true);
    XYPlot plot = new XYPlot(data, label, truth, renderer);
    plot.setDomainGridlinesVisible(false);
    plot.setRangeGridlinesVisible(false);
    JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.PLAIN, 12), plot, false);
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }

  private static Path write(JFreeChart chart, Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(name);
    THEME.apply(chart);
    ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    return file;
  }

  /** A matrix as the benchmark holds it ({@code double[][]}) or as JSON reads it back (lists of numbers). */
  private static double[][] matrix(Object value) {
    if (value instanceof double[][] matrix) {
      return matrix;
    }
    List<?> rows = (List<?>) value;
    double[][] matrix = new double[rows.size()][];
    for (int r = 0; r < matrix.length; r++) {
      List<?> row = (List<?>) rows.get(r);
      matrix[r] = new double[row.size()];
      for (int c = 0; c < row.size(); c++) {
        matrix[r][c] = number(row.get(c), Double.NaN);
      }
    }
    return matrix;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> ? (Map<String, Object>) value : Map.of();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> points(Object value) {
    return value instanceof List<?> ? (List<Map<String, Object>>) value : List.of();
  }

  private static double number(Object value, double otherwise) {
    return value instanceof Number n ? n.doubleValue() : otherwise;
  }

  private static Object at(Map<String, Object> results, String dotted) {
    Object node = results;
    for (String part : dotted.split("\\.")) {
      node = map(node).get(part);
    }
    return node;
  }
}
