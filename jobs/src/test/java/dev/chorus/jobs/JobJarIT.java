package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The job jar holds what runs on a Flink cluster and nothing else: no command line, no benchmark, no embedded broker
 * or MiniCluster, no Scala, no logging backend. It is built in the package phase, so this runs as an integration test.
 * Nothing keeps those classes out but the module boundary: jobs does not depend on them (issue 15).
 */
class JobJarIT {

    @Test
    void holdsTheJobsAndTheirLibrariesOnly() throws IOException {
        Path jar;
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            jar = files.filter(f -> f.getFileName().toString().matches("chorus-jobs-.*-job\\.jar")).findFirst()
                    .orElseThrow();
        }
        List<String> entries;
        try (JarFile file = new JarFile(jar.toFile())) {
            entries = file.stream().map(e -> e.getName()).toList();
        }
        assertThat(entries).as("the jobs, the Kafka connector, Avro, netlib and model-core are bundled")
                .contains("dev/chorus/jobs/train/TrainJob.class", "dev/chorus/jobs/serve/ServeJob.class",
                        "org/apache/flink/connector/kafka/source/KafkaSource.class",
                        "org/apache/avro/Schema.class", "dev/ludovic/netlib/blas/BLAS.class",
                        "dev/chorus/core/model/ModelSpec.class");
        // kafka-clients ships kafka/kafka-version.properties: only classes count.
        assertThat(entries).as("classes that have no business on a cluster").noneMatch(name -> name.endsWith(".class")
                && (name.startsWith("dev/chorus/cli/") || name.startsWith("dev/chorus/embedded/")
                        || name.startsWith("kafka/") || name.startsWith("scala/")
                        || name.startsWith("org/apache/flink/runtime/minicluster/")
                        || name.startsWith("org/apache/logging/log4j/") || name.startsWith("org/slf4j/")
                        || name.startsWith("me/tongfei/progressbar/") || name.startsWith("org/jline/")
                        || name.contains("Benchmark")));
    }
}
