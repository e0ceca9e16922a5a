package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.chorus.cli.data.PackageCatalogue;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code chorus produce --package-catalogue} on a real broker, in JSON and in Avro: what it wrote, read back, is the package
 * catalogue as {@link PackageCatalogue} reads it, in {@code bench sparse}'s seeded order, fields and labels.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ProducePackagesIT {

    static final int LIMIT = 300;

    @Test
    void producesTheCatalogueAsPackageCatalogueReadsItInBothFormats() throws Exception {
        Optional<Path> list = PackageCatalogue.defaultFile(PackageCatalogue.APT_LISTS);
        assumeTrue(list.isPresent(), "no *_Packages* file under " + PackageCatalogue.APT_LISTS + " (run apt-get update)");
        PackageCatalogue catalogue = PackageCatalogue.read(list.get(), PackageCatalogue.DEFAULT_MIN_SECTION_PACKAGES);
        List<PackageCatalogue.DebianPackage> expected = catalogue.shuffled(7).subList(0, LIMIT);

        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            for (WireFormat format : List.of(WireFormat.JSON, WireFormat.AVRO)) {
                Topic<Example> topic = new Topic<>("it.packages." + format.name().toLowerCase(), Example.class, format);
                // One partition: the order read back is the order sent.
                kafka.createTopic(topic.name(), 1, Map.of());
                CliRun produced = CliRun.run("produce", "--package-catalogue", "--lists-dir",
                        PackageCatalogue.APT_LISTS.toString(), "--seed", "7", "--limit", String.valueOf(LIMIT),
                        "--format", format.name().toLowerCase(), "--examples-topic", topic.name(), "--no-progress",
                        "--bootstrap-servers", kafka.bootstrapServers());
                assertThat(produced.exitCode()).as(produced.err()).isZero();
                assertThat(produced.out()).contains("sent " + LIMIT + " examples (task packages)", list.get().toString());

                List<Example> read = JobTestSupport.read(kafka, topic);
                assertThat(read).as(format.name()).hasSize(LIMIT);
                for (int i = 0; i < LIMIT; i++) {
                    PackageCatalogue.DebianPackage p = expected.get(i);
                    Example e = read.get(i);
                    assertThat(e.getId()).as("%s #%d", format, i).isEqualTo("packages-" + p.name());
                    assertThat(e.getTask()).isEqualTo("packages");
                    assertThat(e.getLabel()).as(p.name()).isEqualTo(catalogue.label(p));
                    assertThat(plain(e.getFields())).as(p.name()).isEqualTo(p.fields());
                    assertThat(e.getFeatures().remaining()).isZero();
                }
            }
        }
    }

    /** The decoded fields with plain lists, which compare equal to {@link PackageCatalogue.DebianPackage#fields}. */
    private static Map<String, Object> plain(Map<String, Object> fields) {
        Map<String, Object> plain = new LinkedHashMap<>();
        fields.forEach((k, v) -> plain.put(k, v instanceof List<?> l ? List.copyOf(l) : v));
        return plain;
    }
}
