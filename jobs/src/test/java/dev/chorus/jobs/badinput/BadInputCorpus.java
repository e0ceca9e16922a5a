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
 * Writes a version of the bad-input corpus under {@code src/test/resources/bad-input/<version>}: one malformed
 * record per file, for a task whose spec has 4 features and 3 classes (and in v2 a regression task), and
 * {@code cases.tsv}, the part of the reason each must produce; a {@code .tombstone} file stands for a record with a
 * null value. v1 has the first cases, v2 the ones added since. The files are committed and never change; run this
 * only to add cases, as a new version beside the others (after {@code ./mvnw -pl jobs package}):
 * {@code java -cp 'jobs/target/test-classes:jobs/target/classes:jobs/target/lib/*:model-core/target/test-classes'
 * dev.chorus.jobs.badinput.BadInputCorpus v3 jobs/src/test/resources/bad-input/v3}.
 */
public final class BadInputCorpus {
    private BadInputCorpus() {}

    /** The spec every case is checked against. */
    public static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"batchSize\":8}";
    /** The record size limit the corpus test sets; {@code oversized-record.bin} is above it. */
    public static final int MAX_RECORD_BYTES = 16 * 1024;
    /** v2's record size limit: above its 1 MiB id and task, so that the checks of those fields see them. */
    public static final int MAX_RECORD_BYTES_V2 = 4 << 20;
    /** v2's regression task and its spec. */
    public static final String REGRESSION_TASK = "corpus-regression";
    public static final String REGRESSION_SPEC = "{\"algorithm\":\"linear-regression\",\"inputDim\":4,\"batchSize\":8}";

    /** A usable example of the corpus task; each case changes one thing. */
    public static Example.Builder valid() {
        return Example.newBuilder().setId("bad").setTask("corpus").setFeatures(Float32.pack(new float[] {1, 2, 3, 4}))
                .setLabel(1).setEventTime(1_700_000_000_000L);
    }

    public static void main(String[] args) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        Map<String, String> reasons = new LinkedHashMap<>();
        switch (args[0]) {
            case "v1" -> v1(files, reasons);
            case "v2" -> v2(files, reasons);
            default -> throw new IllegalArgumentException("corpus version: expected v1 or v2, got " + args[0]);
        }
        Path dir = Path.of(args[1]);
        StringBuilder tsv = new StringBuilder("# file\texpected part of the dead letter's reason\n");
        for (var e : files.entrySet()) {
            Path file = dir.resolve(e.getKey());
            Files.createDirectories(file.getParent());
            Files.write(file, e.getValue());
            tsv.append(e.getKey()).append('\t').append(reasons.get(e.getKey())).append('\n');
        }
        Files.writeString(dir.resolve("cases.tsv"), tsv.toString());
    }

    private static void v1(Map<String, byte[]> files, Map<String, String> reasons) {
        var avro = WireFormat.AVRO.codec(Example.class);

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
    }

    private static void v2(Map<String, byte[]> files, Map<String, String> reasons) {
        var avro = WireFormat.AVRO.codec(Example.class);
        byte[] good = avro.encode(valid().setId("ab").build());
        // The body starts with the id: its length as a zig-zag varint, then its bytes.
        byte[] huge = Arrays.copyOf(good, good.length + 4);
        System.arraycopy(new byte[] {(byte) 0xFE, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F}, 0, huge, 10, 5);
        System.arraycopy(good, 11, huge, 15, good.length - 11);
        files.put("avro/length-near-2-31.bin", huge);
        reasons.put("avro/length-near-2-31.bin", "field 'id': expected a length in [0, ");
        byte[] negative = good.clone();
        negative[10] = 9;
        files.put("avro/negative-length.bin", negative);
        reasons.put("avro/negative-length.bin", "malformed Avro Example record: field 'id': expected a length in [0, ");
        byte[] union = avro.encode(valid().setId("ab").setTask("corpus").build());
        union[10 + 3 + 7 + 1 + 16] = 14;
        files.put("avro/union-index-out-of-range.bin", union);
        reasons.put("avro/union-index-out-of-range.bin",
                "field 'indices': expected a union branch index in [0, 2), got 7");
        files.put("avro/trailing-bytes.bin", Arrays.copyOf(good, good.length + 3));
        reasons.put("avro/trailing-bytes.bin", "trailing bytes after Avro Example record: 3 of " + (good.length + 3)
                + " bytes left unread");
        files.put("avro/empty-value.bin", new byte[0]);
        reasons.put("avro/empty-value.bin", "not Avro single-object encoding: expected header C3 01, got empty input");
        files.put("avro/header-only.bin", Arrays.copyOf(good, 10));
        reasons.put("avro/header-only.bin", "truncated Avro Example record");
        files.put("avro/null-value.tombstone", new byte[0]);
        reasons.put("avro/null-value.tombstone", "record value: expected an encoded Example, got null (a tombstone)");
        byte[] invalidUtf8 = good.clone();
        invalidUtf8[11] = (byte) 0xFF;
        files.put("avro/invalid-utf8.bin", invalidUtf8);
        reasons.put("avro/invalid-utf8.bin", "field 'id': expected UTF-8 text, got invalid UTF-8 in 2 bytes");
        Example.Builder sparse = valid().setFeatures(Float32.pack(new float[] {1, 2}));
        case_(files, reasons, "avro/sparse-index-negative.bin", sparse.setIndices(List.of(-1, 2)),
                "field 'indices': expected indices in [0, 4), got -1 at position 0");
        case_(files, reasons, "avro/sparse-index-duplicated.bin", sparse.setIndices(List.of(1, 1)),
                "field 'indices': expected strictly increasing indices, got 1 after 1 at position 1");
        case_(files, reasons, "avro/sparse-index-unsorted.bin", sparse.setIndices(List.of(2, 1)),
                "field 'indices': expected strictly increasing indices, got 1 after 2 at position 1");
        case_(files, reasons, "avro/sparse-count-mismatch.bin", sparse.setIndices(List.of(0, 1, 2)),
                "field 'indices': expected one index per feature value (2), got 3");
        case_(files, reasons, "avro/features-not-multiple-of-4.bin",
                valid().setFeatures(java.nio.ByteBuffer.wrap(new byte[6])),
                "field 'features': expected packed float32 values (a multiple of 4 bytes), got 6 bytes");
        case_(files, reasons, "avro/label-minus-one.bin", valid().setLabel(-1),
                "field 'label': expected a class index >= 0, got -1");
        case_(files, reasons, "avro/nan-weight.bin", valid().setWeight(Float.NaN),
                "field 'weight': expected a finite number >= 0, got NaN");
        case_(files, reasons, "avro/infinite-weight.bin", valid().setWeight(Float.POSITIVE_INFINITY),
                "field 'weight': expected a finite number >= 0, got Infinity");
        Example.Builder regression = valid().setTask(REGRESSION_TASK).setLabel(null);
        case_(files, reasons, "avro/nan-target.bin", regression.setTarget(Double.NaN),
                "field 'target': expected a finite number, got NaN");
        case_(files, reasons, "avro/infinite-target.bin", regression.setTarget(Double.NEGATIVE_INFINITY),
                "field 'target': expected a finite number, got -Infinity");
        case_(files, reasons, "avro/label-on-regression-task.bin", regression.setTarget(1.5).setLabel(2),
                "field 'label': expected null for a regression task (its real target goes in 'target'), got 2");
        case_(files, reasons, "avro/one-mib-id.bin", valid().setId("i".repeat(1 << 20)),
                "field 'id': expected 1 to 1024 characters, got 1048576");
        case_(files, reasons, "avro/one-mib-task.bin", valid().setTask("t".repeat(1 << 20)),
                "field 'task': expected 1 to 256 characters, got 1048576");
        case_(files, reasons, "avro/task-control-characters.bin", valid().setTask("cor\u001b[31mpus"),
                "field 'task': expected a name without control characters, got \"cor\\u001B[31mpus\" "
                        + "(U+001B at position 3)");
        case_(files, reasons, "avro/annotator-control-characters.bin", valid().setAnnotator("ann\nforged log line"),
                "field 'annotator': expected a name without control characters, got \"ann\\u000Aforged log line\" "
                        + "(U+000A at position 3)");

        String valid = "\"id\":\"j\",\"task\":\"corpus\",\"label\":1,\"eventTime\":1";
        json(files, reasons, "json/nesting-10000-deep.json",
                "{" + valid + ",\"features\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}", "nesting depth");
        json(files, reasons, "json/thousand-digit-number.json",
                "{\"id\":\"j\",\"task\":\"corpus\",\"features\":[1,2,3,4],\"eventTime\":1,\"label\":"
                        + "7".repeat(1000) + "}", "field 'label': expected int or null, got number 7777");
        json(files, reasons, "json/number-1e400.json", "{" + valid + ",\"features\":[1e400,2,3,4]}",
                "field 'features': expected finite values, got Infinity at position 0");
        json(files, reasons, "json/features-null.json", "{" + valid + ",\"features\":null}",
                "field 'features': expected array of numbers (float32), got null");
        byte[] bom = ("\uFEFF{" + valid + ",\"features\":[1,2,3,4]}").getBytes(StandardCharsets.UTF_8);
        files.put("json/byte-order-mark.json", bom);
        reasons.put("json/byte-order-mark.json", "expected JSON text without a byte order mark, got EF BB BF");
        byte[] badUtf8 = ("{" + valid.replace("\"j\"", "\"j?\"") + ",\"features\":[1,2,3,4]}")
                .getBytes(StandardCharsets.UTF_8);
        badUtf8[8] = (byte) 0xFF;
        files.put("json/invalid-utf8.json", badUtf8);
        reasons.put("json/invalid-utf8.json", "Invalid UTF-8");
    }

    private static void json(Map<String, byte[]> files, Map<String, String> reasons, String name, String text,
            String reason) {
        files.put(name, text.getBytes(StandardCharsets.UTF_8));
        reasons.put(name, reason);
    }

    private static void case_(Map<String, byte[]> files, Map<String, String> reasons, String name, Example.Builder e,
            String reason) {
        files.put(name, WireFormat.AVRO.codec(Example.class).encode(e.build()));
        reasons.put(name, reason);
    }
}
