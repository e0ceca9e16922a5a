package dev.chorus.jobs.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/**
 * Every serve subtask applies model and champion records in one order, since its bounds decide by what came first:
 * the serve operator's broadcast side has one upstream operator of parallelism 1, which the models and champions
 * sources feed. Two sources broadcasting straight to it reach each serve subtask interleaved their own way, and two
 * subtasks then held different models under --max-tasks.
 */
class ServeTopologyTest {

    @Test
    void modelsAndChampionsReachEveryServeSubtaskThroughOneSubtask() {
        for (String variant : List.of(ServeSettings.CHAMPION, "default")) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(4);
            ServeJob.build(env, new ServeSettings().variant(variant));
            StreamGraph graph = env.getStreamGraph();
            StreamNode serve = node(graph, ServeJob.UID_SERVE);
            List<StreamEdge> broadcastSide = serve.getInEdges().stream()
                    .filter(e -> e.getPartitioner().isBroadcast()).toList();
            assertThat(broadcastSide).as(variant).hasSize(1);
            StreamNode upstream = graph.getStreamNode(broadcastSide.get(0).getSourceId());
            assertThat(upstream.getTransformationUID()).as(variant).isEqualTo(ServeJob.UID_MODELS_IN_ORDER);
            assertThat(upstream.getParallelism()).as(variant).isEqualTo(1);
            assertThat(upstream.getInEdges()).as(variant).hasSize(variant.equals("default") ? 1 : 2);
        }
    }

    private static StreamNode node(StreamGraph graph, String uid) {
        return graph.getStreamNodes().stream().filter(n -> uid.equals(n.getTransformationUID())).findFirst()
                .orElseThrow(() -> new AssertionError("no operator of uid " + uid));
    }
}
