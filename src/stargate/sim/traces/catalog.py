"""The catalog of public traces: what each is, its files pinned to a commit of its repository
(size, SHA-256, download URL), what Stargate loads it as, and how to cite it."""

from __future__ import annotations

from dataclasses import dataclass

from stargate.errors import InputError, Problem, did_you_mean


@dataclass(frozen=True)
class TraceFile:
    """One file of a public trace, pinned to a commit of its repository."""

    name: str
    repo: str
    commit: str
    repo_path: str
    size: int
    sha256: str

    @property
    def url(self) -> str:
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{self.repo_path}"


@dataclass(frozen=True)
class TraceInfo:
    """A public trace: what it is, what Stargate loads it as, its files and how to cite it."""

    name: str
    summary: str
    uses: tuple[str, ...]
    files: tuple[TraceFile, ...]
    citation: str
    licence: str = "CC BY 4.0"


_ALIBABA = "alibaba/clusterdata"
_ALIBABA_COMMIT = "7a6c496e4f4b6ce6150be8f881cb051bf2abff42"
_AZURE = "Azure/AzurePublicDataset"
_AZURE_COMMIT = "b469a113cedca53ddc3bdea71a143dc4b7d8700c"


def _ali(name: str, folder: str, size: int, sha256: str) -> TraceFile:
    return TraceFile(name, _ALIBABA, _ALIBABA_COMMIT, f"{folder}/{name}", size, sha256)


_GPU23 = "cluster-trace-gpu-v2023/csv"

#: The public traces Stargate knows, by name. Sizes and SHA-256 digests are those of the files
#: at the pinned commits (the same bytes as the copies in ../shared/data/traces).
TRACES: dict[str, TraceInfo] = {
    t.name: t
    for t in (
        TraceInfo(
            "alibaba-gpu-2023",
            "Alibaba production GPU cluster, 2023: 8,152 pods (tasks) and 1,213 GPU nodes",
            ("jobs", "fleet", "packing"),
            (
                _ali(
                    "openb_pod_list_default.csv",
                    _GPU23,
                    575468,
                    "1ee7ed79c27a3b0861cda8ddba86a004c6aba904caafa329a76ae93ca63834a8",
                ),
                _ali(
                    "openb_node_list_gpu_node.csv",
                    _GPU23,
                    42353,
                    "2beca64b4d3dfa342036a34b56a495c6cef9225db836c81f541282cb1df320b5",
                ),
                _ali(
                    "openb_node_list_all_node.csv",
                    _GPU23,
                    52287,
                    "5a85c2af79c66a1efff8bbcbda430400aae56d8431370d738480967e1a9c6b15",
                ),
                _ali(
                    "openb_pod_list_multigpu20.csv",
                    _GPU23,
                    271530,
                    "d9ec6f6c74fb980cc0b81239470c6353fceea077ea9abd610003b604c7cc2b01",
                ),
                _ali(
                    "openb_pod_list_gpuspec20.csv",
                    _GPU23,
                    582612,
                    "6b9b89ab8913c1c074e994e98f548cf1a872fc5f76f2442ca8cd514a478b00a9",
                ),
                _ali(
                    "openb_pod_list_gpushare40.csv",
                    _GPU23,
                    572662,
                    "d83ce79a4eb6987524bedbb0c65e41aed3a36bf6c1b78b86234c3687a07e1d40",
                ),
            ),
            'Weng et al., "Beware of Fragmentation: Scheduling GPU-Sharing Workloads with '
            'Fragmentation Gradient Descent", USENIX ATC 2023',
        ),
        TraceInfo(
            "azure-llm-2023",
            "Azure LLM inference, conversation service: 19,366 requests over one hour",
            ("inference",),
            (
                TraceFile(
                    "AzureLLMInferenceTrace_conv.csv",
                    _AZURE,
                    _AZURE_COMMIT,
                    "data/AzureLLMInferenceTrace_conv.csv",
                    719188,
                    "2f1e5b666d4e3055fdbba98598ce2ec307767b9064e03e2fa46676dbcc7d0bf8",
                ),
            ),
            'Patel et al., "Splitwise: Efficient Generative LLM Inference Using Phase '
            'Splitting", ISCA 2024',
        ),
        TraceInfo(
            "philly-2017",
            "Microsoft Philly deep-learning cluster, 2017: run times of 83,154 jobs",
            ("jobs", "runtimes"),
            (
                _ali(
                    "philly_runtime.csv",
                    "cluster-trace-gpu-v2020/analysis",
                    535725,
                    "e99015baaea66833ebeac68d27c994aa13d83847f73b4a7c7dc71fe94b395247",
                ),
            ),
            'Jeon et al., "Analysis of Large-Scale Multi-Tenant GPU Clusters for DNN Training '
            'Workloads", USENIX ATC 2019',
        ),
        TraceInfo(
            "alibaba-spot-gpu-2026",
            "Alibaba heterogeneous GPU fleet with spot jobs, 2026: 4,278 nodes",
            ("fleet",),
            (
                _ali(
                    "node_info_df.csv",
                    "cluster-trace-v2026-spot-gpu",
                    78330,
                    "1aba161961a5a4a1a61aa581383c5e5abe3400b59f8597ba8c4eef7597bc9d18",
                ),
            ),
            '"GFS: A Preemptive Scheduling Framework for GPU Clusters with Predictive Spot '
            'Management", ASPLOS 2026',
        ),
    )
}


def trace_info(name: str) -> TraceInfo:
    """The catalog entry of a trace, or InputError listing the valid names."""
    try:
        return TRACES[name]
    except KeyError:
        raise InputError(
            Problem(f"unknown trace '{name}'", hint=did_you_mean(name, TRACES))
        ) from None
