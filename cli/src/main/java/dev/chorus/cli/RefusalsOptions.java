package dev.chorus.cli;

import dev.chorus.jobs.kafka.ChorusTopic;
import picocli.CommandLine.Option;

/** Where the train job's refusals of control records are read ({@link JudgedSpecs.Refusals}): a mixin. */
final class RefusalsOptions {
    @Option(names = "--spec-refusals-topic", defaultValue = ChorusTopic.DefaultNames.SPEC_REFUSALS,
            description = "Where the train job's refusals of control records are read. Default: ${DEFAULT-VALUE}.")
    String specRefusalsTopic;

    @Option(names = "--dead-letter-topic", defaultValue = ChorusTopic.DefaultNames.DEAD_LETTERS,
            description = "Where they are read, the whole topic, when --spec-refusals-topic does not exist (a train "
                    + "job older than that topic writes them there only). Default: ${DEFAULT-VALUE}.")
    String deadLetterTopic;

    /** Where the refusals are, without how far the job has read. */
    JudgedSpecs.Refusals refusals() {
        return refusals(null);
    }

    /** Where the refusals are, and the train job's consumer group, whose offset says how far it has read. */
    JudgedSpecs.Refusals refusals(String trainGroupId) {
        return new JudgedSpecs.Refusals(specRefusalsTopic, deadLetterTopic, trainGroupId);
    }
}
