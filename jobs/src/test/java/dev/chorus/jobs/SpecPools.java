package dev.chorus.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

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

    /** A value inside a spec: its parent, its field name (or null) and index, and its path for messages. */
    public record Slot(JsonNode parent, String field, int index, String path) {
        public JsonNode get() {
            return field != null ? parent.get(field) : parent.get(index);
        }

        public void set(JsonNode value) {
            if (field != null) {
                ((ObjectNode) parent).set(field, value);
            } else {
                ((ArrayNode) parent).set(index, value);
            }
        }
    }

    /** Every value under {@code root} that {@code wanted} takes, depth first. */
    public static List<Slot> slots(JsonNode root, Predicate<JsonNode> wanted) {
        List<Slot> into = new ArrayList<>();
        collect(root, "", into, wanted);
        return into;
    }

    private static void collect(JsonNode node, String path, List<Slot> into, Predicate<JsonNode> wanted) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                if (wanted.test(e.getValue())) {
                    into.add(new Slot(node, e.getKey(), -1, p));
                }
                collect(e.getValue(), p, into, wanted);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String p = path + "[" + i + "]";
                if (wanted.test(node.get(i))) {
                    into.add(new Slot(node, null, i, p));
                }
                collect(node.get(i), p, into, wanted);
            }
        }
    }
}
