package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.select.ChampionSelection;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.api.operators.SimpleOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamFilter;
import org.junit.jupiter.api.Test;

/**
 * Where the trainer's predictions go: its main output carries those that are not finite too
 * ({@link MinibatchPredictions}), which the selection scores as the worst loss. So the selection reads that output
 * whole, in the order the trainer made it, and the predictions topic only through a filter that keeps every
 * prediction that is not finite off it; nothing else reads it.
 */
class TrainTopologyTest {

    static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3}";

    @Test
    void theSelectionReadsTheTrainersPredictionsWholeAndThePredictionsTopicOnlyTheFiniteOnes() throws Exception {
        StreamGraph graph = graph();
        StreamNode trainer = node(graph, TrainJob.UID_TRAIN);
        List<String> readers = trainer.getOutEdges().stream().filter(e -> e.getOutputTag() == null)
                .map(e -> graph.getStreamNode(e.getTargetId()).getTransformationUID()).toList();
        assertThat(readers).as("the readers of the trainer's main output")
                .containsExactlyInAnyOrder(TrainJob.UID_FINITE_PREDICTIONS, ChampionSelection.UID_LABELLED);

        Prediction finite = prediction("finite", new float[] {0.25f, 0.75f});
        Prediction nan = prediction("nan", new float[] {Float.NaN, Float.NaN});
        Prediction infinite = prediction("infinite", new float[] {Float.POSITIVE_INFINITY, 0f});
        Prediction regression = prediction("regression", new float[0]);
        regression.setPredictedValue(Double.NaN);
        Prediction top = prediction("top", new float[0]);
        top.setTopClasses(List.of(3, 1));
        top.setTopProbabilities(Float32.pack(new float[] {0.5f, Float.NaN}));
        assertThat(toPredictionsTopic(List.of(finite, nan, infinite, regression, top))).containsExactly(finite);
    }

    /**
     * What of {@code emitted}, the trainer's main output, the train job's predictions sink receives: each operator
     * between them must be a filter, and is applied.
     */
    @SuppressWarnings("unchecked")
    static List<Prediction> toPredictionsTopic(List<Prediction> emitted) throws Exception {
        StreamGraph graph = graph();
        List<FilterFunction<Prediction>> filters = new ArrayList<>();
        StreamNode at = node(graph, TrainJob.UID_PREDICTIONS_SINK);
        while (true) {
            assertThat(at.getInEdges()).as("inputs of %s", at.getOperatorName()).hasSize(1);
            at = graph.getStreamNode(at.getInEdges().get(0).getSourceId());
            if (TrainJob.UID_TRAIN.equals(at.getTransformationUID())) {
                break;
            }
            Object operator = ((SimpleOperatorFactory<?>) at.getOperatorFactory()).getOperator();
            assertThat(operator).as(at.getOperatorName()).isInstanceOf(StreamFilter.class);
            filters.add((FilterFunction<Prediction>) ((StreamFilter<Prediction>) operator).getUserFunction());
        }
        List<Prediction> passed = new ArrayList<>();
        for (Prediction p : emitted) {
            boolean kept = true;
            for (FilterFunction<Prediction> filter : filters) {
                kept &= filter.filter(p);
            }
            if (kept) {
                passed.add(p);
            }
        }
        return passed;
    }

    private static StreamGraph graph() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, new TrainSettings().specs(TaskSpecs.ofDefault(SPEC)));
        return env.getStreamGraph();
    }

    private static StreamNode node(StreamGraph graph, String uid) {
        return graph.getStreamNodes().stream().filter(n -> uid.equals(n.getTransformationUID())).findFirst()
                .orElseThrow(() -> new AssertionError("no operator of uid " + uid));
    }

    private static Prediction prediction(String id, float[] probabilities) {
        return Prediction.newBuilder().setId(id).setTask("t").setVariant("default").setModelVersion(1)
                .setPredictedClass(probabilities.length > 0 ? 0 : null).setProbabilities(Float32.pack(probabilities))
                .setLabel(0).setEventTime(0L).setProducedAt(0L).build();
    }
}
