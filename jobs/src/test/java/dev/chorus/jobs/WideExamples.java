package dev.chorus.jobs;

import dev.chorus.schemas.Example;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Examples that make a big hashed model fast: two lists of {@value #TOKENS} strings, crossed, so each example hashes
 * to about 90,000 features none of the others has. One minibatch of {@code batchSize} 16 touches about 1.2 million
 * of the 2^22 rows, and an FTRL model saves 16 bytes per row it touched: a snapshot over 16 MiB.
 */
public final class WideExamples {
    public static final int TOKENS = 300;
    public static final String SPEC = """
            {"algorithm":"logistic-regression","batchSize":16,"standardize":false,
             "hashing":{"bits":22,"fields":["a","b"],"interactions":[["a","b"]]},
             "optimizer":{"type":"ftrl","alpha":0.1,"l1":0.01}}""";

    private WideExamples() {}

    /** Example {@code i}: its own tokens in both lists, label {@code i % 2}. */
    public static Example example(String task, int i) {
        List<String> a = new ArrayList<>(TOKENS);
        List<String> b = new ArrayList<>(TOKENS);
        for (int t = 0; t < TOKENS; t++) {
            a.add(i + "a" + t);
            b.add(i + "b" + t);
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("a", a);
        fields.put("b", b);
        return Example.newBuilder().setId("wide-" + i).setTask(task).setFeatures(ByteBuffer.allocate(0))
                .setFields(fields).setLabel(i % 2).setEventTime(1_700_000_000_000L + i).build();
    }

    public static List<Example> stream(String task, int from, int to) {
        List<Example> examples = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            examples.add(example(task, i));
        }
        return examples;
    }
}
