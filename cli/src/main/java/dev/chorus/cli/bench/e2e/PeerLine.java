package dev.chorus.cli.bench.e2e;

import dev.chorus.cli.bench.SklearnPeer;
import dev.chorus.cli.data.FashionMnist;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The peer line: scikit-learn in memory, for scale beside the jobs. */
final class PeerLine {

    private PeerLine() {}

    /** scikit-learn's SGDClassifier(log_loss) partial_fit, one pass over the training split in memory. */
    static Map<String, Object> run(Path script) throws LineSkipped {
        if (script == null) {
            throw new LineSkipped(
                    "no scikit-learn peer script (cli/src/main/python/sklearn_peer.py) beside this build");
        }
        if (!Files.isReadable(FashionMnist.DEBIAN_DIR.resolve("train-images-idx3-ubyte.gz"))) {
            throw new LineSkipped("the peer trains on the Fashion-MNIST training split in " + FashionMnist.DEBIAN_DIR
                    + " (Debian's dataset-fashion-mnist), which is not installed");
        }
        String python = SklearnPeer.findPython(SklearnPeer.PYTHONS).orElseThrow(
                () -> new LineSkipped(SklearnPeer.noPythonReason(SklearnPeer.PYTHONS)));
        Map<String, Object> peer = SklearnPeer.run(python, script, List.of("--data-dir",
                FashionMnist.DEBIAN_DIR.toString(), "--batch-size", "128", "--seed", "42", "--models",
                "sklearn_sgd_log"));
        if (peer.containsKey(SklearnPeer.UNAVAILABLE)) {
            throw new LineSkipped(peer.get(SklearnPeer.UNAVAILABLE).toString());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> figures = new LinkedHashMap<>((Map<String, Object>) peer.get("sklearn_sgd_log"));
        figures.put("sklearn_version", peer.get("sklearn_version"));
        figures.put("python", python);
        figures.put("examples", peer.get("train_examples"));
        return figures;
    }
}
