package dev.chorus.jobs.select;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.PairedComparison;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobEnvironment;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.KafkaIO;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.ModelGenerations;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.codec.WireFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The selection operator in a MiniCluster, writing to a real broker exactly once: predictions of two variants of
 * one task (the variant-keyed trainer's output, fed here as a stream) make the better one champion on the champions
 * topic, with its evidence.
 */
class ChampionSelectionIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void theBetterVariantBecomesChampionOnTheChampionsTopic() throws Exception {
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("selection-it")
                .championsTopic(new Topic<>("selection-it.champions", Champion.class, WireFormat.JSON))
                .selection(new SelectionSettings(PairedComparison.Settings.defaults(), 1000, 200))
                .checkpointIntervalMs(300)
                .parallelism(2);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 1);

        // 3,000 labelled examples of task t: "wide" gives the true class 0.1 more probability than "default", and
        // a second task with one variant.
        SplittableRandom random = new SplittableRandom(42);
        List<Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            float p = 0.3f + 0.5f * (float) random.nextDouble();
            predictions.add(prediction("t", "e" + i, "default", p, i / 10));
            predictions.add(prediction("t", "e" + i, "wide", p + 0.1f, i / 10));
            predictions.add(prediction("solo", "s" + i, "default", p, i / 10));
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        JobEnvironment.configure(env, settings);
        // The control topic put variant wide (the trainer's broadcast, as TrainJob connects it); nothing retires.
        var specs = env.fromData(List.of(new SpecChange("t", "wide",
                        "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":2}")),
                        TypeInformation.of(SpecChange.class))
                .broadcast(VariantSpecs.DESCRIPTOR, ModelGenerations.DESCRIPTOR);
        ChampionSelection.select(env.fromData(predictions, AvroTypes.of(Prediction.class)), specs, settings.selection(),
                        TaskSpecs.of(null, Map.of()))
                .sinkTo(KafkaIO.sink(settings, settings.championsTopic(), Champion::getTask, "champions"));
        env.execute("selection-it");

        List<Champion> records = JobTestSupport.read(KAFKA.broker(), settings.championsTopic());
        // Standings refreshed after a change keep its evidence and its time: one change is one distinct 'since'.
        List<Champion> changes = records.stream().filter(c -> c.getEvidence() != null).toList();
        assertThat(changes).as("records with evidence").isNotEmpty();
        assertThat(changes).as("changes, for task t only (solo's single variant has nothing to change to)")
                .extracting(Champion::getTask, Champion::getSince).containsOnly(
                        org.assertj.core.groups.Tuple.tuple("t", changes.get(0).getSince()));
        Champion change = changes.get(0);
        assertThat(change.getTask()).isEqualTo("t");
        assertThat(change.getVariant()).isEqualTo("wide");
        assertThat(change.getPreviousVariant()).isEqualTo("default");
        assertThat(change.getEvidence().getPairedExamples()).isIn(200L, 400L, 800L, 1600L);
        assertThat(change.getEvidence().getLowerBound()).isGreaterThan(change.getEvidence().getMargin());
        assertThat(change.getStandings().get(0).getVariant()).isEqualTo("wide");
        assertThat(change.getStandings().get(0).getStatus()).isEqualTo(StandingStatus.CHAMPION);
        assertThat(change.getStandings().get(0).getLossMean())
                .isLessThan(change.getStandings().get(1).getLossMean());
    }

    static Prediction prediction(String task, String id, String variant, float p, long version) {
        return Prediction.newBuilder().setId(id).setTask(task).setVariant(variant).setModelVersion(version)
                .setPredictedClass(p >= 0.5f ? 0 : 1).setProbabilities(Float32.pack(new float[] {p, 1 - p}))
                .setLabel(0).setEventTime(0L).setProducedAt(0L).build();
    }
}
