#!/bin/sh
# Build the Lambda Python base image (template.yaml's Runtime) that `sam local` runs functions in, from what a machine
# without a container registry can reach: Debian's packages (debootstrap) and PyPI.
#
# SAM CLI runs a python3.X function in public.ecr.aws/lambda/python:3.X-x86_64, onto which it
# copies the Runtime Interface Emulator it ships (samcli/local/rapid/aws-lambda-rie-x86_64) and the
# function's layers. It pulls that image unless --skip-pull-image is given and the image is
# already here. This script makes it here, laid out as Lambda's own image is (the paths its
# Dockerfile and `/lambda-entrypoint.sh` use):
#   /var/lang/bin/python3.X    Debian's Python 3.X (a link to /usr/bin/python3.X): bookworm has
#                              3.11, trixie 3.13
#   /var/runtime               awslambdaric (the runtime interface client) and boto3, from PyPI
#   /var/runtime/bootstrap     what the emulator starts: python -m awslambdaric <handler>
#   /lambda-entrypoint.sh      the image's ENTRYPOINT, as Lambda's (runs the emulator when no
#                              runtime API is given), so `docker run IMAGE app.handler` works too
# It is not Amazon Linux: the same Python minor version and the same sys.path, not the same
# system libraries (which only matters to native code built against Amazon Linux).
#
# Usage: localcloud/build-lambda-image.sh            (root, or sudo for debootstrap; Docker running)
#   DEBIAN_MIRROR  Debian mirror for debootstrap (default http://deb.debian.org/debian)
#   PYTHON         a python with pip, to fetch the wheels (default .venv/bin/python, else python3)
#   IMAGE          repository:tag to build (default public.ecr.aws/lambda/python:<the Runtime's version>)
set -eu

HERE=$(cd "$(dirname "$0")/.." && pwd)
# The functions' Python, from the template (Runtime: python3.13 -> 3.13), and the Debian that has it.
PYVER=$(sed -n 's/^ *Runtime: python//p' "$HERE/template.yaml" | head -n1)
case "$PYVER" in
    3.11) SUITE=bookworm ;;
    3.13) SUITE=trixie ;;
    *) echo "build-lambda-image: no Debian release with Python $PYVER is known to this script" >&2; exit 1 ;;
esac
IMAGE=${IMAGE:-public.ecr.aws/lambda/python:$PYVER}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PYTHON=${PYTHON:-$([ -x "$HERE/.venv/bin/python" ] && echo "$HERE/.venv/bin/python" || echo python3)}
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

docker info >/dev/null 2>&1 || { echo "build-lambda-image: no Docker daemon answers (docker info failed)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "build-lambda-image: needs debootstrap (apt-get install debootstrap)" >&2; exit 1; }
# The emulator SAM CLI ships, so that the image runs by itself too (SAM adds its own copy).
RIE=$("$PYTHON" -c 'import pathlib, samcli; print(pathlib.Path(samcli.__file__).parent / "local/rapid/aws-lambda-rie-x86_64")')

WORK=$(mktemp -d)
trap '$SUDO rm -rf "$WORK"' EXIT
ROOT="$WORK/rootfs"

echo "build-lambda-image: Debian $SUITE (python$PYVER) from $MIRROR"
$SUDO debootstrap --variant=minbase --include=python$PYVER,ca-certificates $SUITE "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
$SUDO rm -rf "$ROOT/var/cache/apt/archives"/*.deb "$ROOT/var/lib/apt/lists"/* "$ROOT/usr/share/doc" "$ROOT/usr/share/man"

echo "build-lambda-image: awslambdaric and boto3 from PyPI into /var/runtime"
# Wheels for the image's interpreter (CPython $PYVER, x86_64, glibc), whatever runs this script.
"$PYTHON" -m pip install --quiet --no-compile --no-warn-conflicts --only-binary=:all: --platform manylinux2014_x86_64 \
    --python-version $PYVER --implementation cp --target "$WORK/runtime" awslambdaric boto3
$SUDO cp -a "$WORK/runtime" "$ROOT/var/runtime"

$SUDO mkdir -p "$ROOT/var/lang/bin" "$ROOT/var/task" "$ROOT/opt" "$ROOT/usr/local/bin"
$SUDO ln -sf "/usr/bin/python$PYVER" "$ROOT/var/lang/bin/python$PYVER"
$SUDO ln -sf "python$PYVER" "$ROOT/var/lang/bin/python3"
$SUDO ln -sf "python$PYVER" "$ROOT/var/lang/bin/python"
$SUDO install -m 0755 "$RIE" "$ROOT/usr/local/bin/aws-lambda-rie"
# The handler: the entrypoint's argument (_HANDLER), or SAM's AWS_LAMBDA_FUNCTION_HANDLER when
# SAM starts the emulator itself with no argument.
printf '%s\n' '#!/bin/sh' \
    "export AWS_EXECUTION_ENV=AWS_Lambda_python$PYVER" \
    "exec /var/lang/bin/python$PYVER -m awslambdaric \"\${_HANDLER:-\$AWS_LAMBDA_FUNCTION_HANDLER}\"" |
    $SUDO tee "$ROOT/var/runtime/bootstrap" >/dev/null
printf '%s\n' '#!/bin/sh' \
    'if [ $# -ne 1 ]; then echo "entrypoint requires the handler name to be the first argument" >&2; exit 142; fi' \
    'export _HANDLER="$1"' \
    'if [ -z "${AWS_LAMBDA_RUNTIME_API:-}" ]; then exec /usr/local/bin/aws-lambda-rie /var/runtime/bootstrap; fi' \
    'exec /var/runtime/bootstrap' |
    $SUDO tee "$ROOT/lambda-entrypoint.sh" >/dev/null
$SUDO chmod 0755 "$ROOT/var/runtime/bootstrap" "$ROOT/lambda-entrypoint.sh"

echo "build-lambda-image: importing $IMAGE"
# Lambda's search path: the function (the working directory), then its layers, then the runtime.
$SUDO tar -C "$ROOT" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV TZ=:/etc/localtime' \
    --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin' \
    --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
    --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
    --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
    --change "ENV PYTHONPATH=/opt/python/lib/python$PYVER/site-packages:/opt/python:/var/runtime" \
    --change 'WORKDIR /var/task' \
    --change 'ENTRYPOINT ["/lambda-entrypoint.sh"]' \
    - "$IMAGE" >/dev/null
# SAM CLI asks for the architecture's tag (each Python has an x86_64 and an arm64 image).
docker tag "$IMAGE" "$IMAGE-x86_64"
echo "build-lambda-image: built $IMAGE and $IMAGE-x86_64 ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}'))"
