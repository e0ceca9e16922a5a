package dev.chorus.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code chorus demo} ends with: printed for a person, and as JSON ({@code --summary-json}). */
record DemoSummary(int items, int examples, String labelModel, long predictions, int deadLetters, int malformedSent,
        long modelVersion, int snapshots, double accuracyLast2000, List<DemoCommand.AnnotatorRow> annotators,
        String blasBackend, String dataset, String bootstrapServers, List<String> topics,
        List<String> deadLetterReasons, double seconds) {

    void print(PrintStream out) {
        out.println();
        out.println("Chorus demo summary");
        List<String[]> rows = new ArrayList<>();
        rows.add(row("images", String.format("%,d  (%s)", items, dataset)));
        rows.add(row("examples", String.format("%,d  (%s)", examples, labelModel == null
                ? "one per image, its own label"
                : String.format("%.0f labels per image from simulated annotators", (double) examples / items))));
        rows.add(row("label model", labelModel == null ? "none" : labelModel));
        rows.add(row("predictions", String.format("%,d", predictions)));
        rows.add(row("dead letters", String.format("%,d  (of %d malformed records sent)", deadLetters,
                malformedSent)));
        deadLetterReasons.forEach(r -> rows.add(new String[] {"", "  - " + r}));
        rows.add(row("model version", String.format("%d  (%d snapshots published)", modelVersion, snapshots)));
        rows.add(row("accuracy, last " + DemoCommand.ACCURACY_WINDOW, String.format("%.4f  (prequential, against "
                + "the true labels: each example predicted before training on it)", accuracyLast2000)));
        rows.add(row("BLAS backend", blasBackend));
        rows.add(row("topics", String.join(", ", topics)));
        rows.add(row("bootstrap servers", bootstrapServers + "  (stopped with the demo)"));
        rows.add(row("wall time", String.format("%.1f s", seconds)));
        PrintWriter table = new PrintWriter(out);
        TextTable.print(table, rows);
        table.flush();
        if (!annotators.isEmpty()) {
            out.println();
            out.println("Annotators (true accuracy from the simulator; the rest from the annotators topic)");
            out.printf("  %-18s %-18s %13s %11s %7s %11s%n", "annotator", "kind", "true accuracy", "reliability",
                    "weight", "labels seen");
            for (DemoCommand.AnnotatorRow a : annotators) {
                out.printf("  %-18s %-18s %13.3f %11s %7s %,11d%n", a.id(), a.kind(), a.trueAccuracy(),
                        Double.isNaN(a.reliability()) ? "-" : String.format("%.3f", a.reliability()),
                        Double.isNaN(a.weight()) ? "-" : String.format("%.3f", a.weight()), a.labelsSeen());
            }
        }
    }

    /** A row of the summary's table: the name indented under the title. */
    private static String[] row(String name, String value) {
        return new String[] {"  " + name, value};
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("items", items);
        m.put("examples", examples);
        m.put("labelModel", labelModel);
        m.put("predictions", predictions);
        m.put("deadLetters", deadLetters);
        m.put("modelVersion", modelVersion);
        m.put("accuracyLast2000", accuracyLast2000);
        m.put("snapshots", snapshots);
        m.put("annotators", annotators.stream().map(DemoCommand.AnnotatorRow::toMap).toList());
        m.put("malformedSent", malformedSent);
        m.put("blasBackend", blasBackend);
        m.put("dataset", dataset);
        m.put("bootstrapServers", bootstrapServers);
        m.put("topics", topics);
        m.put("deadLetterReasons", deadLetterReasons);
        m.put("seconds", seconds);
        return m;
    }
}
