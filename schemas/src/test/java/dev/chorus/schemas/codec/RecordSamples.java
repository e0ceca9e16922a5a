package dev.chorus.schemas.codec;

import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.ChampionEvidence;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** Records of every type, one with every optional field set and one with every optional field null. */
final class RecordSamples {

    private RecordSamples() {
    }

    /** Arguments: a description and the record. */
    static Stream<Arguments> all() {
        return Stream.of(
                Arguments.of("Example, dense, labelled", exampleWithEverything()),
                Arguments.of("Example, only required fields", Example.newBuilder()
                        .setId("item-2").setTask("fashion").setFeatures(Float32.pack(new float[0]))
                        .setEventTime(0L).build()),
                Arguments.of("Prediction, classification", Prediction.newBuilder()
                        .setId("item-1").setTask("fashion").setVariant("softmax").setModelVersion(42L)
                        .setPredictedClass(2).setPredictedValue(null)
                        .setProbabilities(Float32.pack(new float[] {0.1f, 0.2f, 0.7f}))
                        .setLabel(2).setTarget(null).setAnnotator("ann-7")
                        .setEventTime(1_700_000_000_000L).setProducedAt(1_700_000_000_123L).build()),
                Arguments.of("Prediction, regression", Prediction.newBuilder()
                        .setId("item-3").setTask("price").setVariant("linear").setModelVersion(Long.MAX_VALUE)
                        .setPredictedValue(-12.5e-3).setProbabilities(Float32.pack(new float[0]))
                        .setTarget(Double.MIN_VALUE).setEventTime(-1L).setProducedAt(0L).build()),
                Arguments.of("ModelSnapshot, maps filled", ModelSnapshot.newBuilder()
                        .setTask("fashion").setVariant("softmax").setVersion(7L).setAlgorithm("softmax-regression")
                        .setSpec("{\"layers\":[10]}").setParametersFormat(1)
                        .setParameters(ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 0xFF, (byte) 0x80}))
                        .setExamplesSeen(123_456L).setMetrics(orderedMap("accuracy", 0.875, "logLoss", 0.31))
                        .setCreatedAt(1_700_000_000_000L)
                        .setProvenance(orderedMap("job", "train", "backend", "ÄßÇ blas \"native\"")).build()),
                Arguments.of("ModelSnapshot, maps empty", ModelSnapshot.newBuilder()
                        .setTask("t").setVariant("v").setVersion(0L).setAlgorithm("a").setSpec("")
                        .setParametersFormat(0).setParameters(ByteBuffer.allocate(0)).setExamplesSeen(0L)
                        .setCreatedAt(0L).build()),
                Arguments.of("AnnotatorModel, weighted", AnnotatorModel.newBuilder()
                        .setTask("fashion").setAnnotator("ann-7").setVersion(3L).setNumClasses(2)
                        .setConfusion(Float32.pack(new float[] {0.9f, 0.1f, 0.2f, 0.8f})).setReliability(0.85)
                        .setWeight(0.5).setLabelsSeen(100L).setUpdatedAt(1_700_000_000_000L).build()),
                Arguments.of("AnnotatorModel, unweighted", AnnotatorModel.newBuilder()
                        .setTask("fashion").setAnnotator("ann-8").setVersion(1L).setNumClasses(1)
                        .setConfusion(Float32.pack(new float[] {1f})).setReliability(1.0)
                        .setLabelsSeen(1L).setUpdatedAt(1L).build()),
                Arguments.of("Consensus", Consensus.newBuilder()
                        .setTask("sentiment").setVariant("default").setItem("review-17")
                        .setPosterior(List.of(0.125, 0.75, 0.125)).setMostLikely(1).setLabels(2)
                        .setAnnotators(List.of("ann-3", "ann-9")).setVersion(12L)
                        .setUpdatedAt(1_700_000_000_000L).build()),
                Arguments.of("Champion, after a change", Champion.newBuilder()
                        .setTask("fashion").setVariant("wide").setModelVersion(40L).setSince(1_700_000_000_000L)
                        .setPreviousVariant("default")
                        .setEvidence(ChampionEvidence.newBuilder().setTest("paired z").setPairedExamples(400L)
                                .setMeanDifference(0.031).setLowerBound(0.0125).setAlpha(0.0025).setMargin(0.005).build())
                        .setStandings(List.of(
                                VariantStanding.newBuilder().setVariant("wide").setStatus(StandingStatus.CHAMPION)
                                        .setLabelledExamples(900L).setLossMean(0.41).setLossStandardError(0.02)
                                        .setAccuracy(0.86).setAccuracyLow(0.83).setAccuracyHigh(0.88)
                                        .setModelVersion(40L).setLastDriftAt(1_699_999_000_000L).build(),
                                VariantStanding.newBuilder().setVariant("default").setStatus(StandingStatus.RETIRED)
                                        .setLabelledExamples(2L).setLossMean(0.7).setLossStandardError(0.25)
                                        .setModelVersion(3L).build()))
                        .setUpdatedAt(1_700_000_000_500L).build()),
                Arguments.of("Champion, first", Champion.newBuilder()
                        .setTask("t").setVariant("default").setModelVersion(0L).setSince(0L)
                        .setStandings(List.of()).setUpdatedAt(0L).build()),
                Arguments.of("VariantSpecRecord, live", VariantSpecRecord.newBuilder()
                        .setTask("fashion").setVariant("lr-0.01").setStatus(VariantStatus.LIVE)
                        .setSpec("{\"algorithm\":\"softmax\",\"inputDim\":784,\"numClasses\":10}")
                        .setUpdatedAt(1_700_000_000_000L).setSource("cli").build()),
                Arguments.of("VariantSpecRecord, retired", VariantSpecRecord.newBuilder()
                        .setTask("a/b").setVariant("default").setStatus(VariantStatus.RETIRED).setSpec(null)
                        .setUpdatedAt(0L).setSource("job").build()),
                Arguments.of("DeadLetter, with key and field", DeadLetter.newBuilder()
                        .setOriginal(ByteBuffer.wrap("{\"id\":\"a1\",\"label\":\"cat\"}".getBytes(StandardCharsets.UTF_8)))
                        .setKey(ByteBuffer.wrap(new byte[] {(byte) 0xC3, 0x01, 0x00}))
                        .setTopic("examples").setPartition(3).setOffset(99L)
                        .setReason("field 'label': expected int or null, got string \"cat\"").setField("label")
                        .setTime(1_700_000_000_000L).build()),
                Arguments.of("DeadLetter, no key", DeadLetter.newBuilder()
                        .setOriginal(ByteBuffer.wrap(new byte[] {1, 2, 3})).setTopic("examples").setPartition(0)
                        .setOffset(0L).setReason("not Avro").setTime(0L).build()));
    }

    static Example exampleWithEverything() {
        return Example.newBuilder()
                .setId("item-1").setTask("fashion")
                .setFeatures(Float32.pack(new float[] {0f, 0.5f, -1.25f, 3.4028235e38f, 1.4e-45f}))
                .setIndices(List.of(0, 3, 17, 200, 1 << 20))
                .setLabel(3).setTarget(2.5).setAnnotator("ann-7")
                .setEventTime(1_700_000_000_000L).setWeight(0.25f).build();
    }

    private static <V> Map<String, V> orderedMap(String key1, V value1, String key2, V value2) {
        Map<String, V> map = new LinkedHashMap<>();
        map.put(key1, value1);
        map.put(key2, value2);
        return map;
    }
}
