package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.WireFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code chorus specs retire} of a key the control topic has never had, against a real broker that has the control
 * topic but no models topic: the key is retired all the same, and the warning says the models topic was not found
 * rather than the command failing on it.
 */
class SpecsRetireIT {

    @Test
    void anUnknownKeyIsRetiredWithAWarningWhenTheModelsTopicIsMissing() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            String specs = ChorusTopic.DefaultNames.SPECS;
            kafka.createTopics(ChorusTopic.newTopics(new TrainSettings(), 1).stream()
                    .filter(t -> t.name().equals(specs)).toList());

            CliRun run = CliRun.run("specs", "retire", "iris", "fsat", "--bootstrap-servers", kafka.bootstrapServers());

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.err()).contains("warning: iris/fsat is not on " + specs + " (no spec, no variant a live "
                    + "search draws) and topic " + ChorusTopic.DefaultNames.MODELS + " was not found");
            var codec = WireFormat.AVRO.codec(VariantSpecRecord.class);
            List<VariantSpecRecord> written = TopicReader.readAll(kafka.bootstrapServers(), Map.of(), specs,
                    codec::decode);
            assertThat(written).singleElement().satisfies(r -> {
                assertThat(r.getVariant()).isEqualTo("fsat");
                assertThat(r.getStatus()).isEqualTo(VariantStatus.RETIRED);
            });
        }
    }
}
