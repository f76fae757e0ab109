#!/usr/bin/env python3
"""Reference PyTorch executor for NeuraLink nodes (docs/executor-protocol.md).

A node process starts this worker and speaks line-delimited JSON over stdio:
one request object per line on stdin, one response object per line on
stdout (stderr is for humans). The node decides everything the protocol
commits to (data order, which rows each step trains on, checkpoints); the
worker only holds a model and an optimizer and trains the steps it is sent,
in the network's canonical layouts, so a PyTorch trainer's states are
checkpoints like any other and another PyTorch executor replays them bit for
bit (one thread, deterministic algorithms, the same build).

Layouts (all little-endian float32, base64 in JSON):
  weights   = for each dense layer: kernel [inputs, units] row-major, then bias [units]
  optimizer = sgd: one 0.0 | adam: accBeta1, accBeta2, then the first moments,
              then the second moments, each in the weights' order and layout
Adam follows TF.js's formulas (accBeta starts at beta and is multiplied after
each step, epsilon 1e-7), so states mean the same thing in both frameworks.
"""
import base64
import io
import json
import sys

import torch

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-7
ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda x: x}


def floats(b64):
    return torch.frombuffer(bytearray(base64.b64decode(b64)), dtype=torch.float32).clone()


def b64(tensors):
    return base64.b64encode(torch.cat([t.detach().reshape(-1) for t in tensors]).contiguous().numpy().tobytes()).decode()


class Executor:
    def __init__(self):
        self.layers = None

    def load(self, layers, plan, weights, optimizer):
        for layer in layers:
            if layer["activation"] not in ACTIVATIONS and layer["activation"] != "softmax":
                raise ValueError(f"activation {layer['activation']} is not supported")
        self.layers = layers
        self.plan = plan
        self.params = []
        flat, at = floats(weights), 0
        for layer in layers:
            for shape in ((layer["inputs"], layer["units"]), (layer["units"],)):
                n = shape[0] * (shape[1] if len(shape) > 1 else 1)
                self.params.append(flat[at : at + n].reshape(shape).clone().requires_grad_(True))
                at += n
        if at != flat.numel():
            raise ValueError(f"weights hold {flat.numel()} values, the layers need {at}")
        self.restore_optimizer(optimizer)

    def restore_optimizer(self, optimizer):
        state = floats(optimizer)
        if self.plan["optimizer"] != "adam":
            self.acc, self.m, self.v = None, None, None
            return
        sizes = [p.numel() for p in self.params]
        if state.numel() != 2 + 2 * sum(sizes):
            raise ValueError(f"optimizer state has {state.numel()} values, adam needs {2 + 2 * sum(sizes)}")
        # Kept as float32 tensors, as they are stored: a state restored from bytes must continue exactly as the uninterrupted run.
        self.acc = state[0:2].clone()
        at, self.m, self.v = 2, [], []
        for moments in (self.m, self.v):
            for p, n in zip(self.params, sizes):
                moments.append(state[at : at + n].reshape(p.shape).clone())
                at += n

    def forward(self, x, params=None):
        params = params or self.params
        h = x
        for i, layer in enumerate(self.layers):
            h = h @ params[2 * i] + params[2 * i + 1]
            h = torch.softmax(h, dim=-1) if layer["activation"] == "softmax" else ACTIVATIONS[layer["activation"]](h)
        return h

    def step(self, x, labels):
        rows = labels.numel()
        x = x.reshape(rows, self.layers[0]["inputs"])
        probabilities = self.forward(x)
        # TF.js's categorical cross-entropy: probabilities clipped to [eps, 1 - eps], mean over the batch.
        picked = probabilities.clamp(EPSILON, 1 - EPSILON).gather(1, labels.long().reshape(-1, 1))
        loss = -torch.log(picked).mean()
        for p in self.params:
            p.grad = None
        loss.backward()
        lr = self.plan["learningRate"]
        with torch.no_grad():
            if self.acc is None:
                for p in self.params:
                    p -= lr * p.grad
            else:
                one_minus = 1 - self.acc
                for p, m, v in zip(self.params, self.m, self.v):
                    m.mul_(BETA1).add_(p.grad * (1 - BETA1))
                    v.mul_(BETA2).add_(p.grad * p.grad * (1 - BETA2))
                    p -= lr * (m / one_minus[0]) / (torch.sqrt(v / one_minus[1]) + EPSILON)
                self.acc = self.acc * torch.tensor([BETA1, BETA2], dtype=torch.float32)
        return float(loss.item())

    def state(self):
        if self.acc is None:
            optimizer = base64.b64encode(bytes(4)).decode()
        else:
            optimizer = b64([self.acc] + self.m + self.v)
        return {"weights": b64(self.params), "optimizer": optimizer}

    def export_onnx(self):
        executor = self

        class Module(torch.nn.Module):
            def __init__(self):
                super().__init__()
                # Parameters, so the export writes the weights as initializers (not Constant nodes).
                self.weights = torch.nn.ParameterList([torch.nn.Parameter(p.detach().clone()) for p in executor.params])

            def forward(self, x):
                return executor.forward(x, list(self.weights))

        buffer = io.BytesIO()
        example = torch.zeros(1, self.layers[0]["inputs"])
        torch.onnx.export(Module(), example, buffer, input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=13)
        return base64.b64encode(buffer.getvalue()).decode()


def main():
    executor = Executor()
    for line in sys.stdin:
        if not line.strip():
            continue
        request = {}
        try:
            request = json.loads(line)
            op = request.get("op")
            if op == "hello":
                answer = {"framework": "pytorch", "version": torch.__version__, "backend": f"pytorch-{torch.__version__}-cpu"}
            elif op == "load":
                executor.load(request["layers"], request["plan"], request["weights"], request["optimizer"])
                answer = {}
            elif op == "step":
                answer = {"loss": executor.step(floats(request["x"]), floats(request["y"]))}
            elif op == "state":
                answer = executor.state()
            elif op == "restore":
                executor.load(executor.layers, executor.plan, request["weights"], request["optimizer"])
                answer = {}
            elif op == "export-onnx":
                answer = {"onnx": executor.export_onnx()}
            elif op == "bye":
                print(json.dumps({"id": request.get("id"), "ok": True}), flush=True)
                return
            else:
                raise ValueError(f"unknown op {op}")
            print(json.dumps({"id": request.get("id"), "ok": True, **answer}), flush=True)
        except Exception as error:  # every failure is an answer, never a dead worker
            print(json.dumps({"id": request.get("id"), "ok": False, "error": f"{type(error).__name__}: {error}"}), flush=True)


if __name__ == "__main__":
    main()
