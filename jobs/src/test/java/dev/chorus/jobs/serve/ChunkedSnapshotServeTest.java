package dev.chorus.jobs.serve;

import static dev.chorus.jobs.serve.ServeFunctionTest.sourced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * A snapshot split into chunks and a manifest reaches the serve function in any order, with versions interleaved:
 * the served model changes only when every chunk of one version and its manifest are there and the digest matches,
 * and then at once; until then the previous version answers. A part that does not fit is a dead letter.
 */
class ChunkedSnapshotServeTest {

    static final List<Example> CLICKS = ClickExamples.stream("clicks", 40, 11);

    static SparseLinearModel model(int examples) {
        return ClickExamples.reference(ClickExamples.SPEC, CLICKS.subList(0, examples), false).model();
    }

    static ModelSnapshot snapshot(long version, SparseLinearModel model) {
        return ModelSnapshot.newBuilder().setTask("clicks").setVariant("default").setVersion(version)
                .setAlgorithm("logistic-regression").setSpec(ClickExamples.SPEC)
                .setParametersFormat(model.formatVersion()).setParameters(ByteBuffer.wrap(model.toBytes()))
                .setExamplesSeen(version * 8).setMetrics(Map.of()).setCreatedAt(0).setProvenance(Map.of()).build();
    }

    /** Chunks by index, then the manifest: about three chunks. */
    static List<ModelSnapshot> parts(ModelSnapshot whole) {
        List<ModelSnapshot> parts = SnapshotChunks.split(whole, whole.getParameters().remaining() / 3 + 1);
        assertThat(parts).hasSize(4);
        return parts;
    }

    static KafkaRecord record(ModelSnapshot part, long offset) {
        return new KafkaRecord(ServeFunctionTest.settings().modelsTopic().name(), 0, offset, 0,
                SnapshotChunks.key(part).getBytes(StandardCharsets.UTF_8),
                ServeFunctionTest.settings().modelsTopic().codec().encode(part));
    }

    static KeyedBroadcastOperatorTestHarness<String, Sourced<Example>, KafkaRecord, Prediction> harness() throws Exception {
        return new KeyedBroadcastOperatorTestHarness<>(new CoBroadcastWithKeyedOperator<>(
                new ServeFunction(ServeFunctionTest.settings()), ServeJob.BROADCAST_STATES), ServeFunctionTest::taskOf,
                Types.STRING, 1, 1, 0);
    }

    @Test
    void swapsOnlyWhenEveryChunkOfOneVersionAndItsManifestHaveArrived() throws Exception {
        SparseLinearModel v1 = model(8);
        SparseLinearModel v3 = model(24);
        List<ModelSnapshot> second = parts(snapshot(2, model(16)));
        List<ModelSnapshot> third = parts(snapshot(3, v3));
        FeatureHasher hasher = new FeatureHasher(v1.spec().hashing());
        long offset = 0;
        try (var h = harness()) {
            h.open();
            h.processBroadcastElement(record(snapshot(1, v1), offset++), 0);
            // Version 2 in another order, incomplete: chunk 2, the manifest, chunk 0.
            h.processBroadcastElement(record(second.get(2), offset++), 0);
            h.processBroadcastElement(record(second.get(3), offset++), 0);
            h.processBroadcastElement(record(second.get(0), offset++), 0);
            h.processElement(sourced(CLICKS.get(30)), 1);
            // Version 3 begins: version 2 never completes, and its late chunk 1 is refused.
            h.processBroadcastElement(record(third.get(1), offset++), 0);
            h.processBroadcastElement(record(second.get(1), offset++), 0);
            h.processBroadcastElement(record(third.get(3), offset++), 0);
            h.processBroadcastElement(record(third.get(0), offset++), 0);
            h.processElement(sourced(CLICKS.get(31)), 2);
            h.processBroadcastElement(record(third.get(2), offset++), 0);
            h.processElement(sourced(CLICKS.get(32)), 3);

            List<Prediction> out = h.extractOutputValues();
            assertThat(out).extracting(Prediction::getModelVersion).containsExactly(1L, 1L, 3L);
            float[] expected = new float[2];
            v1.predictProba(hasher.hash(CLICKS.get(31).getFields()), expected);
            assertThat(Float32.unpack(out.get(1).getProbabilities())).containsExactly(expected);
            v3.predictProba(hasher.hash(CLICKS.get(32).getFields()), expected);
            assertThat(Float32.unpack(out.get(2).getProbabilities())).containsExactly(expected);
            assertThat(ServeFunctionTest.deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("version");
                assertThat(d.getReason()).startsWith("model \"clicks/default\" chunk 1 of 3 version 2: field 'version': "
                        + "expected 3 (pending) or newer, got 2; dropped");
            });
            assertThat(h.getBroadcastState(ServeFunction.MODELS).get("clicks/default").getVersion())
                    .isEqualTo(3L);
            assertThat(h.getBroadcastState(SnapshotAssembly.PENDING).immutableEntries())
                    .as("nothing pending once a version is swapped in").isEmpty();
        }
    }

    /**
     * A variant reset by its train job: its key's tombstone forgets the served model and the old model's parts still
     * pending (as a compacted topic replays them: chunks of a version whose manifest the tombstone deleted), so that
     * the fresh model's first chunked snapshot, of a lower version, is assembled and served.
     */
    @Test
    void aTombstoneDropsTheOldModelsPendingPartsSoThatTheFreshModelsLowerVersionAssembles() throws Exception {
        List<ModelSnapshot> old = parts(snapshot(40, model(24)));
        SparseLinearModel fresh = model(8);
        List<ModelSnapshot> first = parts(snapshot(1, fresh));
        long offset = 0;
        try (var h = harness()) {
            h.open();
            h.processBroadcastElement(record(snapshot(30, model(16)), offset++), 0);
            h.processBroadcastElement(record(old.get(2), offset++), 0);
            h.processBroadcastElement(new KafkaRecord(ServeFunctionTest.settings().modelsTopic().name(), 0, offset++,
                    0, "clicks/default".getBytes(StandardCharsets.UTF_8), null), 0);
            for (ModelSnapshot part : first) {
                h.processBroadcastElement(record(part, offset++), 0);
            }
            h.processElement(sourced(CLICKS.get(30)), 1);

            assertThat(ServeFunctionTest.deadLetters(h)).isEmpty();
            assertThat(h.extractOutputValues()).extracting(Prediction::getModelVersion).containsExactly(1L);
            assertThat(h.getBroadcastState(SnapshotAssembly.PENDING).immutableEntries()).isEmpty();
        }
    }

    @Test
    void aDigestMismatchOrAWrongCountIsADeadLetterAndTheServedModelStays() throws Exception {
        SparseLinearModel v1 = model(8);
        List<ModelSnapshot> corrupt = parts(snapshot(2, model(16)));
        ByteBuffer altered = ByteBuffer.allocate(corrupt.get(1).getParameters().remaining());
        altered.put(corrupt.get(1).getParameters().duplicate()).put(0, (byte) 1).flip();
        ModelSnapshot flipped = ModelSnapshot.newBuilder(corrupt.get(1)).setParameters(altered).build();
        ModelSnapshot miscounted = ModelSnapshot.newBuilder(parts(snapshot(3, model(24))).get(1)).setChunks(5).build();
        List<ModelSnapshot> third = parts(snapshot(3, model(24)));
        long offset = 0;
        try (var h = harness()) {
            h.open();
            h.processBroadcastElement(record(snapshot(1, v1), offset++), 0);
            for (ModelSnapshot part : List.of(corrupt.get(0), flipped, corrupt.get(2), corrupt.get(3))) {
                h.processBroadcastElement(record(part, offset++), 0);
            }
            h.processBroadcastElement(record(third.get(0), offset++), 0);
            h.processBroadcastElement(record(miscounted, offset++), 0);
            h.processElement(sourced(CLICKS.get(30)), 1);

            assertThat(h.extractOutputValues()).extracting(Prediction::getModelVersion).containsExactly(1L);
            List<DeadLetter> dead = ServeFunctionTest.deadLetters(h);
            assertThat(dead).extracting(DeadLetter::getField).containsExactly("digest", "chunks");
            assertThat(dead.get(0).getReason()).startsWith("model \"clicks/default\" version 2: field 'digest': expected"
                    + " the SHA-256 of the 3 chunks' parameters, got ");
            assertThat(dead.get(1).getReason()).startsWith("model \"clicks/default\" chunk 1 of 5 version 3: field "
                    + "'chunks': expected 3 as the version's other parts say, got 5");
        }
    }

    /** The parts of a task past the serve job's task bound are refused as its whole snapshot is, never held. */
    @Test
    void partsOfATaskPastTheBoundAreDeadLettersNotHeld() throws Exception {
        var settings = ServeFunctionTest.settings().taskBound(new dev.chorus.jobs.TaskBound(1, List.of()));
        try (var h = new KeyedBroadcastOperatorTestHarness<>(new CoBroadcastWithKeyedOperator<>(
                new ServeFunction(settings), ServeJob.BROADCAST_STATES), ServeFunctionTest::taskOf, Types.STRING, 1, 1,
                0)) {
            h.open();
            h.processBroadcastElement(record(snapshot(1, model(8)), 0), 0);
            List<ModelSnapshot> other = parts(snapshot(2, model(16))).stream()
                    .map(p -> ModelSnapshot.newBuilder(p).setTask("other").build()).toList();
            long offset = 1;
            for (ModelSnapshot part : other.subList(0, 3)) {
                h.processBroadcastElement(record(part, offset++), 0);
            }

            assertThat(h.getBroadcastState(SnapshotAssembly.PENDING).entries()).as("no part held").isEmpty();
            assertThat(ServeFunctionTest.deadLetters(h)).hasSize(3)
                    .allSatisfy(d -> assertThat(d.getField()).isEqualTo("task"));
        }
    }

    /** A forged part of {@code task/variant} version 1: a manifest if {@code chunk} is null, with {@code bytes}. */
    static ModelSnapshot forged(String task, String variant, Integer chunk, int chunks, int bytes) {
        return ModelSnapshot.newBuilder(snapshot(1, model(8))).setTask(task).setVariant(variant)
                .setParameters(ByteBuffer.allocate(bytes)).setChunk(chunk).setChunks(chunks)
                .setDigest(ByteBuffer.allocate(SnapshotChunks.DIGEST_BYTES)).build();
    }

    static KeyedBroadcastOperatorTestHarness<String, Sourced<Example>, KafkaRecord, Prediction> harness(
            ServeSettings settings) throws Exception {
        return new KeyedBroadcastOperatorTestHarness<>(new CoBroadcastWithKeyedOperator<>(new ServeFunction(settings),
                ServeJob.BROADCAST_STATES), ServeFunctionTest::taskOf, Types.STRING, 1, 1, 0);
    }

    /**
     * Parts waiting for assembly hold their task's (and variant's) place as a model does: manifests of 200 tasks past
     * --max-tasks 1 leave one task's pending, the others are dead letters; so with variants per task.
     */
    @Test
    void pendingPartsCountInTheTaskAndVariantBounds() throws Exception {
        try (var h = harness(ServeFunctionTest.settings().taskBound(new dev.chorus.jobs.TaskBound(1, List.of())))) {
            h.open();
            for (int i = 0; i < 200; i++) {
                h.processBroadcastElement(record(forged("m" + i, "default", null, 3, 0), i), 0);
            }
            h.processBroadcastElement(record(forged("m0", "default", 0, 3, 10), 200), 0);

            assertThat(h.getBroadcastState(SnapshotAssembly.PENDING).entries()).hasSize(2)
                    .allSatisfy(e -> assertThat(e.getValue().getTask()).isEqualTo("m0"));
            assertThat(ServeFunctionTest.deadLetters(h)).hasSize(199).allSatisfy(d -> {
                assertThat(d.getField()).isEqualTo("task");
                assertThat(d.getReason()).contains("maxTasks=1");
            });
        }
        try (var h = harness(ServeFunctionTest.settings().variant(ServeSettings.CHAMPION).maxVariantsPerTask(2))) {
            h.open();
            for (int i = 0; i < 5; i++) {
                h.processBroadcastElement(record(forged("t", "v" + i, null, 3, 0), i), 0);
            }
            h.processBroadcastElement(record(forged("t", "v1", 2, 3, 10), 5), 0);

            assertThat(h.getBroadcastState(SnapshotAssembly.PENDING).entries()).hasSize(3)
                    .allSatisfy(e -> assertThat(e.getValue().getVariant()).isIn("v0", "v1"));
            assertThat(ServeFunctionTest.deadLetters(h)).hasSize(3)
                    .allSatisfy(d -> assertThat(d.getField()).isEqualTo("variant"));
        }
    }

    /**
     * A version of more chunks than a snapshot the job can assemble needs (chunks of at most MAX_CHUNK_BYTES, every
     * one but the last full, make at most Integer.MAX_VALUE - 8 bytes in 256), or a chunk larger than MAX_CHUNK_BYTES,
     * is refused on arrival, not held until every chunk is there.
     */
    @Test
    void aVersionTooBigToAssembleIsRefusedOnItsFirstPart() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processBroadcastElement(record(forged("clicks", "default", null, 256, 0), 0), 0);
            h.processBroadcastElement(record(forged("clicks", "default", 0, 256, 10), 1), 0);
            assertThat(ServeFunctionTest.deadLetters(h)).as("256 chunks may make a snapshot it assembles").isEmpty();
            assertThat(h.getBroadcastState(SnapshotAssembly.PENDING).entries()).hasSize(2);

            h.processBroadcastElement(record(forged("huge", "default", null, 257, 0), 2), 0);
            h.processBroadcastElement(record(forged("big", "default", 0, 3, SnapshotChunks.MAX_CHUNK_BYTES + 1), 3), 0);

            assertThat(ServeFunctionTest.deadLetters(h)).extracting(DeadLetter::getField, DeadLetter::getReason)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("chunks", "model \"huge/default\" version 1:"
                            + " field 'chunks': expected a count in [1, 256] (chunks of at most 8388608 bytes, every one"
                            + " but the last full, assemble into at most 2147483639 bytes), got 257 (at chorus.models-0@2)"),
                            org.assertj.core.groups.Tuple.tuple("parameters", "model \"big/default\" chunk 0 of 3 version 1:"
                            + " field 'parameters': expected at most 8388608 bytes in a chunk, got 8388609"
                            + " (at chorus.models-0@3)"));
            assertThat(h.getBroadcastState(SnapshotAssembly.PENDING).entries()).hasSize(2);
        }
    }

    /**
     * A whole snapshot stored leaves no older version's parts pending (compaction may keep an older chunked version's
     * chunks without its manifest): they could never complete; a newer version's parts still wait.
     */
    @Test
    void aStoredSnapshotDropsTheOlderVersionsPendingPartsOnly() throws Exception {
        List<ModelSnapshot> third = parts(snapshot(3, model(24)));
        List<ModelSnapshot> seventh = parts(snapshot(7, model(32)));
        long offset = 0;
        try (var h = harness()) {
            h.open();
            h.processBroadcastElement(record(snapshot(1, model(8)), offset++), 0);
            h.processBroadcastElement(record(third.get(0), offset++), 0);
            h.processBroadcastElement(record(third.get(1), offset++), 0);
            h.processBroadcastElement(record(snapshot(5, model(16)), offset++), 0);
            assertThat(h.getBroadcastState(SnapshotAssembly.PENDING).entries()).as("version 3's parts").isEmpty();

            h.processBroadcastElement(record(seventh.get(0), offset++), 0);
            h.processBroadcastElement(record(snapshot(6, model(16)), offset++), 0);
            assertThat(h.getBroadcastState(SnapshotAssembly.PENDING).entries()).singleElement()
                    .satisfies(e -> assertThat(e.getValue().getVersion()).isEqualTo(7L));
            for (ModelSnapshot part : seventh.subList(1, 4)) {
                h.processBroadcastElement(record(part, offset++), 0);
            }
            h.processElement(sourced(CLICKS.get(30)), 1);

            assertThat(h.extractOutputValues()).extracting(Prediction::getModelVersion).containsExactly(7L);
            assertThat(ServeFunctionTest.deadLetters(h)).isEmpty();
        }
    }

    @Test
    void partsOfAVariantWhoseNameLooksLikeAChunkKeyAreKeptApart() throws Exception {
        List<ModelSnapshot> second = parts(snapshot(2, model(16)));
        List<ModelSnapshot> other = parts(snapshot(7, model(24))).stream()
                .map(p -> ModelSnapshot.newBuilder(p).setVariant("default#0").build()).toList();
        long offset = 0;
        try (var h = harness()) {
            h.open();
            h.processBroadcastElement(record(snapshot(1, model(8)), offset++), 0);
            for (int k = 0; k < 3; k++) {
                h.processBroadcastElement(record(second.get(k), offset++), 0);
                h.processBroadcastElement(record(other.get(k), offset++), 0);
            }
            h.processBroadcastElement(record(other.get(3), offset++), 0);
            h.processBroadcastElement(record(second.get(3), offset++), 0);
            h.processElement(sourced(CLICKS.get(30)), 1);

            assertThat(h.extractOutputValues()).extracting(Prediction::getModelVersion).containsExactly(2L);
            assertThat(h.getBroadcastState(ServeFunction.MODELS).get("clicks/default#0"))
                    .as("serving variant default, the job keeps no other variant's model").isNull();
            assertThat(ServeFunctionTest.deadLetters(h)).isEmpty();
        }
    }
}
