package dev.chorus.jobs;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What the seeded fuzzes of specs (control records, and the specs model records embed) draw odd values from. */
public final class SpecPools {
    private SpecPools() {}

    /** Strings a number may be replaced by. */
    public static final String[] ODD_STRINGS = {"NaN", "Infinity", "-Infinity", "", "1e400"};

    /** The values each enumerated key takes, plus {@code more}: a label is swapped for another of its key's. */
    public static Map<String, List<String>> labels(Map<String, List<String>> more) {
        Map<String, List<String>> labels = new HashMap<>(Map.of(
                "activation", List.of("relu", "tanh", "sigmoid", "identity"),
                "init", List.of("glorot-uniform", "glorot-normal", "he-normal", "uniform", "zeros"),
                "loss", List.of("softmax-cross-entropy", "multiclass-hinge", "softmax-squared-error", "logistic",
                        "hinge", "squared-error"),
                "method", List.of("naive", "majority", "soft", "dawid-skene", "doctor-net", "weighted-doctor-net",
                        "weighted-doctor-net-paper"),
                "combiner", List.of("mean", "sum")));
        labels.putAll(more);
        return Map.copyOf(labels);
    }
}
