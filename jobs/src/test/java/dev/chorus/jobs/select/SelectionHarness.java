package dev.chorus.jobs.select;

import dev.chorus.core.select.ChampionRace;
import dev.chorus.jobs.KeyedBroadcastHarness;
import dev.chorus.jobs.train.ModelGenerations;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Prediction;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;

/**
 * The selection operator (keyed by task, connected to the control broadcast) under test with a metrics environment
 * ({@link dev.chorus.jobs.RegisteredMetrics}).
 */
final class SelectionHarness extends KeyedBroadcastHarness<Prediction, SpecChange, Champion> {

    SelectionHarness(MockEnvironment environment) throws Exception {
        this(environment, TaskSpecs.of(null, Map.of()));
    }

    /** The selection of a job whose {@code --spec} is {@code defaults}. */
    SelectionHarness(MockEnvironment environment, TaskSpecs defaults) throws Exception {
        super(new CoBroadcastWithKeyedOperator<>(new ChampionSelectionFunction(ChampionSelectionFunctionTest.SETTINGS,
                defaults), List.of(VariantSpecs.DESCRIPTOR, ModelGenerations.DESCRIPTOR)), Prediction::getTask,
                environment);
    }

    /** Task {@code task}'s race as the operator holds it now. */
    ChampionRace race(String task) throws Exception {
        KeyedStateBackend<String> backend = operator().getKeyedStateBackend();
        backend.setCurrentKey(task);
        return backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
                ChampionSelectionFunction.RACE).value();
    }

    /** The latest champion record published. */
    Champion latest() {
        List<Champion> out = extractOutputValues();
        return out.get(out.size() - 1);
    }
}
