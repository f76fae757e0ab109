// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ModelRegistry
/// @notice The on-chain Model Objects: each model's id, owner, lineage (the
/// version it was forked from), versions (weights hash, parent version,
/// training task, metrics digest) and status. The mirror (the bridge) copies
/// them from the log in contiguous ranges of log positions, like EventAnchor:
/// `lastPosition` is what the chain has seen, so a restarted bridge resumes
/// after it and a replayed range is refused instead of applied twice.
contract ModelRegistry {
    enum Status {
        None,
        Registered,
        Published,
        Delisted
    }
    enum OpKind {
        Register,
        Version,
        Publish,
        Delist
    }

    struct Version {
        bytes32 weightsHash;
        uint32 parentVersion;
        bytes32 taskId;
        bytes32 metricsDigest;
        uint64 position;
    }
    struct Model {
        address owner;
        Status status;
        uint32 versionCount;
        uint32 publishedVersion;
        string parentModel;
        uint32 parentVersion;
    }
    /// @notice One log fact. Register: id, owner, parentModel/parentVersion (a fork; "" and 0 otherwise).
    /// Version: id, version, parentVersion, weightsHash, taskId, metricsDigest. Publish: id, version. Delist: id.
    struct Op {
        OpKind kind;
        string modelId;
        address owner;
        string parentModel;
        uint32 version;
        uint32 parentVersion;
        bytes32 weightsHash;
        bytes32 taskId;
        bytes32 metricsDigest;
        uint64 position;
    }

    address public immutable bridge;
    uint64 public lastPosition;
    string[] private ids;
    mapping(bytes32 => Model) private models;
    mapping(bytes32 => mapping(uint32 => Version)) private versions;
    mapping(bytes32 => string[]) private forks;

    event ModelRegistered(string modelId, address indexed owner, string parentModel, uint32 parentVersion);
    event ModelVersionCreated(string modelId, uint32 version, bytes32 weightsHash, bytes32 metricsDigest);
    event ModelStatusChanged(string modelId, Status status, uint32 version);

    error NotMirror(address caller);
    error NotContiguous(uint64 expectedFrom, uint64 fromPosition);
    error EmptyRange(uint64 fromPosition, uint64 toPosition);
    error UnknownModel(string modelId);
    error ModelExists(string modelId);
    error VersionOutOfOrder(string modelId, uint32 expected, uint32 version);

    constructor(address bridge_) {
        bridge = bridge_;
    }

    /// @notice Apply the model facts of log positions [fromPosition, toPosition], in log order.
    function mirror(uint64 fromPosition, uint64 toPosition, Op[] calldata ops) external {
        if (msg.sender != bridge) revert NotMirror(msg.sender);
        if (fromPosition != lastPosition + 1) revert NotContiguous(lastPosition + 1, fromPosition);
        if (toPosition < fromPosition) revert EmptyRange(fromPosition, toPosition);
        for (uint256 i = 0; i < ops.length; i++) _apply(ops[i]);
        lastPosition = toPosition;
    }

    function _apply(Op calldata op) private {
        bytes32 key = keccak256(bytes(op.modelId));
        Model storage m = models[key];
        if (op.kind == OpKind.Register) {
            if (m.status != Status.None) revert ModelExists(op.modelId);
            models[key] = Model(op.owner, Status.Registered, 0, 0, op.parentModel, op.parentVersion);
            ids.push(op.modelId);
            if (bytes(op.parentModel).length > 0) forks[keccak256(bytes(op.parentModel))].push(op.modelId);
            emit ModelRegistered(op.modelId, op.owner, op.parentModel, op.parentVersion);
            return;
        }
        if (m.status == Status.None) revert UnknownModel(op.modelId);
        if (op.kind == OpKind.Version) {
            if (op.version != m.versionCount + 1) revert VersionOutOfOrder(op.modelId, m.versionCount + 1, op.version);
            versions[key][op.version] = Version(op.weightsHash, op.parentVersion, op.taskId, op.metricsDigest, op.position);
            m.versionCount = op.version;
            emit ModelVersionCreated(op.modelId, op.version, op.weightsHash, op.metricsDigest);
        } else if (op.kind == OpKind.Publish) {
            m.status = Status.Published;
            m.publishedVersion = op.version;
            emit ModelStatusChanged(op.modelId, Status.Published, op.version);
        } else {
            m.status = Status.Delisted;
            emit ModelStatusChanged(op.modelId, Status.Delisted, m.publishedVersion);
        }
    }

    function modelCount() external view returns (uint256) {
        return ids.length;
    }

    function modelIdAt(uint256 index) external view returns (string memory) {
        return ids[index];
    }

    function model(string calldata modelId) external view returns (Model memory) {
        return models[keccak256(bytes(modelId))];
    }

    function version(string calldata modelId, uint32 v) external view returns (Version memory) {
        return versions[keccak256(bytes(modelId))][v];
    }

    /// @notice The models forked from `modelId` (lineage edges, parent → children).
    function forksOf(string calldata modelId) external view returns (string[] memory) {
        return forks[keccak256(bytes(modelId))];
    }
}
