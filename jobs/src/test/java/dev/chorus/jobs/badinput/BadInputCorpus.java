package dev.chorus.jobs.badinput;

import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.codec.WireFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the versioned bad-input corpus under {@code src/test/resources/bad-input/v1}: one malformed record per
 * file, for a task whose spec has 4 features and 3 classes, and {@code cases.tsv}, the part of the reason each
 * must produce. The files are committed; run this only to add cases, as a new version that keeps v1 intact
 * (after {@code ./mvnw -pl jobs package}):
 * {@code java -cp 'jobs/target/test-classes:jobs/target/classes:jobs/target/lib/*:model-core/target/test-classes'
 * dev.chorus.jobs.badinput.BadInputCorpus jobs/src/test/resources/bad-input/v2}.
 */
public final class BadInputCorpus {
    private BadInputCorpus() {}

    /** The spec every case is checked against. */
    public static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"batchSize\":8}";
    /** The record size limit the corpus test sets; {@code oversized-record.bin} is above it. */
    public static final int MAX_RECORD_BYTES = 16 * 1024;

    /** A usable example of the corpus task; each case changes one thing. */
    public static Example.Builder valid() {
        return Example.newBuilder().setId("bad").setTask("corpus").setFeatures(Float32.pack(new float[] {1, 2, 3, 4}))
                .setLabel(1).setEventTime(1_700_000_000_000L);
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        var avro = WireFormat.AVRO.codec(Example.class);
        Map<String, byte[]> files = new LinkedHashMap<>();
        Map<String, String> reasons = new LinkedHashMap<>();

        byte[] good = avro.encode(valid().build());
        files.put("avro/truncated-avro.bin", Arrays.copyOf(good, good.length / 2));
        reasons.put("avro/truncated-avro.bin", "truncated Avro Example record");
        byte[] unknown = good.clone();
        for (int i = 2; i < 10; i++) {
            unknown[i] = (byte) (0x5A + i);
        }
        files.put("avro/unknown-fingerprint.bin", unknown);
        reasons.put("avro/unknown-fingerprint.bin", "unknown schema fingerprint");
        files.put("avro/json-garbage.bin", "{\"id\": oops".getBytes(StandardCharsets.UTF_8));
        reasons.put("avro/json-garbage.bin", "not Avro single-object encoding: expected header C3 01, got 7B 22");
        case_(files, reasons, "avro/nan-feature.bin", valid().setFeatures(Float32.pack(new float[] {1, 2, Float.NaN, 4})),
                "field 'features': expected finite values, got NaN at position 2");
        case_(files, reasons, "avro/infinite-feature.bin",
                valid().setFeatures(Float32.pack(new float[] {Float.NEGATIVE_INFINITY, 2, 3, 4})),
                "field 'features': expected finite values, got -Infinity at position 0");
        case_(files, reasons, "avro/wrong-dimension.bin", valid().setFeatures(Float32.pack(new float[5])),
                "field 'features': expected 4 float32 values, got 5");
        case_(files, reasons, "avro/sparse-index-out-of-range.bin",
                valid().setFeatures(Float32.pack(new float[] {1, 2})).setIndices(List.of(0, 9)),
                "field 'indices': expected indices in [0, 4), got 9 at position 1");
        case_(files, reasons, "avro/label-out-of-range.bin", valid().setLabel(7),
                "field 'label': expected a class index in [0, 3), got 7");
        case_(files, reasons, "avro/negative-weight.bin", valid().setWeight(-2f),
                "field 'weight': expected a finite number >= 0, got -2.0");
        case_(files, reasons, "avro/empty-task.bin", valid().setTask(""),
                "field 'task': expected a non-empty string, got \"\"");
        byte[] oversized = avro.encode(valid().setFeatures(Float32.pack(new float[20_000])).build());
        files.put("avro/oversized-record.bin", oversized);
        reasons.put("avro/oversized-record.bin", "record value: expected at most " + MAX_RECORD_BYTES + " bytes, got "
                + oversized.length);
        case_(files, reasons, "avro/long-annotator-id.bin", valid().setAnnotator("a".repeat(10_000)),
                "field 'annotator': expected 1 to 256 characters, got 10000");

        files.put("json/json-garbage.json", "{\"id\": oops".getBytes(StandardCharsets.UTF_8));
        reasons.put("json/json-garbage.json", "undecodable record");
        files.put("json/missing-task.json", "{\"id\":\"m\",\"features\":[1,2,3,4],\"label\":1,\"eventTime\":1}"
                .getBytes(StandardCharsets.UTF_8));
        reasons.put("json/missing-task.json", "'task'");
        files.put("json/label-wrong-type.json",
                "{\"id\":\"w\",\"task\":\"corpus\",\"features\":[1,2,3,4],\"label\":\"cat\",\"eventTime\":1}"
                        .getBytes(StandardCharsets.UTF_8));
        reasons.put("json/label-wrong-type.json", "field 'label': expected int or null, got string \"cat\"");
        files.put("json/nan-feature.json",
                "{\"id\":\"n\",\"task\":\"corpus\",\"features\":[1,\"NaN\",3,4],\"label\":1,\"eventTime\":1}"
                        .getBytes(StandardCharsets.UTF_8));
        reasons.put("json/nan-feature.json", "field 'features': expected finite values, got NaN at position 1");
        files.put("json/avro-on-json-topic.json", good);
        reasons.put("json/avro-on-json-topic.json", "undecodable record");

        StringBuilder tsv = new StringBuilder("# file\texpected part of the dead letter's reason\n");
        for (var e : files.entrySet()) {
            Path file = dir.resolve(e.getKey());
            Files.createDirectories(file.getParent());
            Files.write(file, e.getValue());
            tsv.append(e.getKey()).append('\t').append(reasons.get(e.getKey())).append('\n');
        }
        Files.writeString(dir.resolve("cases.tsv"), tsv.toString());
    }

    private static void case_(Map<String, byte[]> files, Map<String, String> reasons, String name, Example.Builder e,
            String reason) {
        files.put(name, WireFormat.AVRO.codec(Example.class).encode(e.build()));
        reasons.put(name, reason);
    }
}
