package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.jobs.JobOptions;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.kafka.BoundedEnd;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.FlinkRuntimeException;
import org.apache.flink.util.SerializedThrowable;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.junit.jupiter.api.Test;

class KafkaDeniedTest {

    static final Map<String, String> SASL = Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN",
            "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"chorus\" "
                    + "password=\"pw\";");
    static final KafkaDenied TRAIN = new KafkaDenied("broker:9093", SASL, Set.of("chorus.examples"),
            Set.of("chorus.predictions", "chorus.models"), "chorus-train-");

    @Test
    void aTopicTheJobWritesNeedsWrite() {
        Throwable failure = new IllegalStateException("job ended FAILED", new FlinkRuntimeException(
                "Failed to send data to Kafka chorus.predictions-0", new TopicAuthorizationException(
                        Set.of("chorus.predictions"))));

        assertThat(TRAIN.explain(failure)).contains("Kafka denied WRITE on topic chorus.predictions to User:chorus: "
                + "grant it with kafka-acls.sh --bootstrap-server broker:9093 --add --allow-principal User:chorus "
                + "--operation Write --topic chorus.predictions");
    }

    @Test
    void aTopicTheJobReadsNeedsReadAndAnyOtherDescribe() {
        assertThat(TRAIN.explain(new TopicAuthorizationException(Set.of("chorus.examples"))).orElseThrow())
                .startsWith("Kafka denied READ on topic chorus.examples to User:chorus: ")
                .endsWith("--operation Read --topic chorus.examples");
        assertThat(TRAIN.explain(new TopicAuthorizationException(Set.of("elsewhere"))).orElseThrow())
                .startsWith("Kafka denied DESCRIBE on topic elsewhere to User:chorus: ")
                .endsWith("--operation Describe --topic elsewhere");
    }

    @Test
    void aTopicDenialThatNamesNoTopicTakesTheJobTopicItsWrapperNames() {
        // What Flink's Kafka source enumerator throws when the admin client may not describe the topic.
        Throwable failure = new RuntimeException("Failed to list subscribed topic partitions due to ",
                new RuntimeException("Failed to get metadata for topics [chorus.examples].",
                        new TopicAuthorizationException("Topic authorization failed.")));
        assertThat(TRAIN.explain(failure).orElseThrow()).startsWith(
                "Kafka denied READ on topic chorus.examples to User:chorus: ");
        assertThat(TRAIN.explain(new TopicAuthorizationException("Topic authorization failed.")).orElseThrow())
                .isEqualTo("Kafka denied User:chorus access: Topic authorization failed.");
    }

    @Test
    void groupsNeedReadTransactionalIdsWriteOnTheJobsPrefixAndTheClusterIdempotentWrite() {
        assertThat(TRAIN.explain(new KafkaException("x", GroupAuthorizationException.forGroupId("chorus-train"))))
                .contains("Kafka denied READ on group chorus-train to User:chorus: grant it with kafka-acls.sh "
                        + "--bootstrap-server broker:9093 --add --allow-principal User:chorus --operation Read "
                        + "--group chorus-train");
        assertThat(TRAIN.explain(new TransactionalIdAuthorizationException("Transactional Id authorization failed.")))
                .contains("Kafka denied WRITE on transactional ids prefixed chorus-train- to User:chorus: grant it "
                        + "with kafka-acls.sh --bootstrap-server broker:9093 --add --allow-principal User:chorus "
                        + "--operation Write --transactional-id chorus-train- --resource-pattern-type prefixed");
        assertThat(TRAIN.explain(new ClusterAuthorizationException("Cluster authorization failed."))).contains(
                "Kafka denied IDEMPOTENT_WRITE on the cluster to User:chorus: grant it with kafka-acls.sh "
                        + "--bootstrap-server broker:9093 --add --allow-principal User:chorus --operation "
                        + "IdempotentWrite --cluster");
    }

    @Test
    void aDenialThatCrossedFlinksRpcIsFoundToo() {
        Throwable failure = new IllegalStateException("job cancelled",
                new SerializedThrowable(new RuntimeException("task failed", GroupAuthorizationException.forGroupId("g"))));
        assertThat(KafkaDenied.isDenial(failure)).isTrue();
        assertThat(TRAIN.explain(failure).orElseThrow()).startsWith("Kafka denied READ on group g to User:chorus: ")
                .doesNotContain("\n");
    }

    @Test
    void otherFailuresAreNoDenial() {
        assertThat(KafkaDenied.isDenial(new IllegalStateException("x", new SaslAuthenticationException("bad pw"))))
                .isFalse();
        assertThat(TRAIN.explain(new RuntimeException("boom"))).isEmpty();
    }

    private static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3}";

    /** The job command {@code args} parse to, with no configuration file. */
    private static LocalJobCommand job(String... args) {
        return (LocalJobCommand) ChorusCli.commandLine(CliRun.noConfig()).parseArgs(args).subcommand().commandSpec()
                .userObject();
    }

    private static String deniedTopic(LocalJobCommand job, String topic) {
        return job.kafkaDenied().explain(new TopicAuthorizationException(Set.of(topic))).orElseThrow();
    }

    @Test
    void theTrainJobWritesTheChampionsAndTheConsensusAndReadsAndWritesTheControlTopic() {
        LocalJobCommand train = job("train", "--bootstrap-servers", "broker:9093", "--spec", SPEC);

        assertThat(deniedTopic(train, "chorus.champions")).startsWith("Kafka denied WRITE on topic chorus.champions ")
                .endsWith("--operation Write --topic chorus.champions");
        assertThat(deniedTopic(train, "chorus.consensus")).endsWith("--operation Write --topic chorus.consensus");
        assertThat(deniedTopic(train, "chorus.examples")).endsWith("--operation Read --topic chorus.examples");
        assertThat(deniedTopic(train, "chorus.specs")).isEqualTo("Kafka denied READ or WRITE on topic chorus.specs to "
                + "User:ANONYMOUS: grant both with kafka-acls.sh --bootstrap-server broker:9093 --add "
                + "--allow-principal User:ANONYMOUS --operation Read --operation Write --topic chorus.specs");
    }

    @Test
    void theServeJobReadsTheChampionsWhenItFollowsThem() {
        assertThat(deniedTopic(job("serve", "--bootstrap-servers", "broker:9093", "--variant", "champion"),
                "chorus.champions")).startsWith("Kafka denied READ on topic chorus.champions ")
                .endsWith("--operation Read --topic chorus.champions");
        assertThat(deniedTopic(job("serve", "--bootstrap-servers", "broker:9093"), "chorus.champions"))
                .as("a serve job of one variant never reads them").endsWith("--operation Describe --topic chorus.champions");
        assertThat(deniedTopic(job("serve", "--bootstrap-servers", "broker:9093"), "chorus.models"))
                .endsWith("--operation Read --topic chorus.models");
    }

    /** What {@code SpecSeeding} throws, before the job starts, when the principal may not write the control topic. */
    @Test
    void aDenialWhileTheJobIsBuiltIsExplainedAsARunningJobsIs() {
        LocalJobCommand seeding = new LocalJobCommand() {
            @Override
            BoundedEnd build(StreamExecutionEnvironment env) {
                throw new IllegalStateException("cannot seed control topic chorus.specs with --spec: Not authorized "
                        + "to access topics: [chorus.specs]", new TopicAuthorizationException(Set.of("chorus.specs")));
            }

            @Override
            KafkaDenied kafkaDenied() {
                return job("train", "--bootstrap-servers", "broker:9093", "--spec", SPEC).kafkaDenied();
            }

            @Override
            String jobName() {
                return "chorus-train";
            }

            @Override
            int parallelism() {
                return 1;
            }

            @Override
            JobOptions jobOptions() {
                throw new UnsupportedOperationException();
            }

            @Override
            JobSettings<?> settings() {
                throw new UnsupportedOperationException();
            }

            @Override
            List<String> requiredTopics() {
                return List.of();
            }

            @Override
            String outputs() {
                return "";
            }

            @Override
            Class<?> mainClass() {
                return Object.class;
            }
        };

        assertThatThrownBy(() -> seeding.buildExplained(null)).isInstanceOf(KafkaDeniedException.class)
                .hasMessage("Kafka denied READ or WRITE on topic chorus.specs to User:ANONYMOUS: grant both with "
                        + "kafka-acls.sh --bootstrap-server broker:9093 --add --allow-principal User:ANONYMOUS "
                        + "--operation Read --operation Write --topic chorus.specs");
    }

    @Test
    void withoutSaslThePrincipalIsAnonymousOnPlaintextAndUnknownOtherwise() {
        assertThat(new KafkaDenied("b:1", Map.of(), Set.of(), Set.of(), "p-").principal()).isEqualTo("User:ANONYMOUS");
        assertThat(new KafkaDenied("b:1", Map.of("security.protocol", "SSL"), Set.of(), Set.of(), "p-").principal())
                .isEqualTo("User:<this job's principal>");
    }
}
