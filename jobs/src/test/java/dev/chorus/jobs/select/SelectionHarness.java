package dev.chorus.jobs.select;

import dev.chorus.jobs.train.ModelGenerations;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Prediction;
import java.util.List;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/**
 * The selection operator (keyed by task, connected to the control broadcast) under test with a metrics environment
 * ({@link dev.chorus.jobs.RegisteredMetrics}): Flink's KeyedBroadcastOperatorTestHarness takes none.
 */
final class SelectionHarness extends AbstractStreamOperatorTestHarness<Champion> {
    private final CoBroadcastWithKeyedOperator<String, Prediction, SpecChange, Champion> selection;

    SelectionHarness(MockEnvironment environment) throws Exception {
        this(new CoBroadcastWithKeyedOperator<>(new ChampionSelectionFunction(ChampionSelectionFunctionTest.SETTINGS),
                List.of(VariantSpecs.DESCRIPTOR, ModelGenerations.DESCRIPTOR)), environment);
    }

    private SelectionHarness(CoBroadcastWithKeyedOperator<String, Prediction, SpecChange, Champion> op,
            MockEnvironment environment) throws Exception {
        super(op, environment);
        this.selection = op;
        config.setStatePartitioner(0, (KeySelector<Prediction, String>) Prediction::getTask);
        config.setStateKeySerializer(StringSerializer.INSTANCE);
        config.serializeAllConfigs();
    }

    void processElement(Prediction prediction, long timestamp) throws Exception {
        StreamRecord<Prediction> record = new StreamRecord<>(prediction, timestamp);
        selection.setKeyContextElement1(record);
        selection.processElement1(record);
    }

    void processBroadcastElement(SpecChange change, long timestamp) throws Exception {
        selection.processElement2(new StreamRecord<>(change, timestamp));
    }

    /** The latest champion record published. */
    Champion latest() {
        List<Champion> out = extractOutputValues();
        return out.get(out.size() - 1);
    }
}
