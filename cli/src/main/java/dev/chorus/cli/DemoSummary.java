package dev.chorus.cli;

import java.io.PrintStream;
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
        out.printf("  images              %,d  (%s)%n", items, dataset);
        out.printf("  examples            %,d  (%s)%n", examples, labelModel == null ? "one per image, its own label"
                : String.format("%.0f labels per image from simulated annotators", (double) examples / items));
        out.printf("  label model         %s%n", labelModel == null ? "none" : labelModel);
        out.printf("  predictions         %,d%n", predictions);
        out.printf("  dead letters        %,d  (of %d malformed records sent)%n", deadLetters, malformedSent);
        deadLetterReasons.forEach(r -> out.printf("                        - %s%n", r));
        out.printf("  model version       %d  (%d snapshots published)%n", modelVersion, snapshots);
        out.printf("  accuracy, last %d  %.4f  (prequential, against the true labels: each example predicted "
                + "before training on it)%n", DemoCommand.ACCURACY_WINDOW, accuracyLast2000);
        out.printf("  BLAS backend        %s%n", blasBackend);
        out.printf("  topics              %s%n", String.join(", ", topics));
        out.printf("  bootstrap servers   %s  (stopped with the demo)%n", bootstrapServers);
        out.printf("  wall time           %.1f s%n", seconds);
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
