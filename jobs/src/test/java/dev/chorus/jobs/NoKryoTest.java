package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.jobs.serve.ServeFunction;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.TrainerStateSerializer;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.runtime.kryo.KryoSerializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/**
 * Nothing Chorus keeps or ships between operators is serialised with Kryo, whose bytes cannot evolve: the jobs
 * disable generic types, every stream edge has a non-Kryo serializer, and the state serializers are ours or Avro.
 */
class NoKryoTest {

    static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3}";

    @Test
    void bothJobsBuildWithGenericTypesDisabledAndNoKryoSerializerOnAnyEdge() {
        StreamExecutionEnvironment train = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(train, new TrainSettings().specs(TaskSpecs.ofDefault(SPEC)));
        assertNoKryo(train.getStreamGraph());

        StreamExecutionEnvironment serve = StreamExecutionEnvironment.getExecutionEnvironment();
        ServeJob.build(serve, new ServeSettings());
        assertNoKryo(serve.getStreamGraph());
    }

    @Test
    void theGuardBitesATypeThatWouldFallBackToKryo() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        JobEnvironment.configure(env, new ServeSettings());
        assertThatThrownBy(() -> TypeInformation.of(Object.class)
                .createSerializer(env.getConfig().getSerializerConfig()))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("Generic types have been disabled");
    }

    @Test
    void stateSerializersAreOursOrAvro() {
        assertThat(new TrainerStateSerializer().snapshotConfiguration()).isInstanceOf(TrainerStateSerializer.Snapshot.class);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        JobEnvironment.configure(env, new ServeSettings());
        var models = new org.apache.flink.api.common.state.MapStateDescriptor<>(ServeFunction.MODELS.getName(),
                org.apache.flink.api.common.typeinfo.Types.STRING,
                dev.chorus.jobs.kafka.AvroTypes.of(dev.chorus.schemas.ModelSnapshot.class));
        models.initializeSerializerUnlessSet(env.getConfig());
        assertThat(models.getValueSerializer()).isNotInstanceOf(KryoSerializer.class);
        assertThat(models.getKeySerializer()).isNotInstanceOf(KryoSerializer.class);
    }

    private static void assertNoKryo(StreamGraph graph) {
        for (StreamNode node : graph.getStreamNodes()) {
            for (var serializer : node.getTypeSerializersIn()) {
                assertThat(serializer).as("input of %s", node.getOperatorName()).isNotInstanceOf(KryoSerializer.class);
            }
            if (node.getTypeSerializerOut() != null) {
                assertThat(node.getTypeSerializerOut()).as("output of %s", node.getOperatorName())
                        .isNotInstanceOf(KryoSerializer.class);
            }
            assertThat(node.getOperatorName()).isNotNull();
        }
        assertThat(graph.getStreamNodes()).hasSizeGreaterThan(4);
    }
}
