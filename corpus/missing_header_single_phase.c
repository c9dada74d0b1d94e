/* A single-phase module whose audio library headers are not installed (re-created after
 * python-pyaudio's _portaudio: `#include "portaudio.h"` without portaudio19-dev). Every
 * helper that uses the library's types fails to parse -- far more errors than clang's
 * default error limit -- but PyInit plainly returns PyModule_Create(&def): the module is
 * single-phase whatever the missing header says, so SI001 and FT001 hold, and so do the
 * PyGILState calls of the stream callback. The call that hands the callback to the library
 * does not parse either; its tokens still name the API, so SI008 says who decides the
 * callback's thread (the audio library's own).
 *
 * compile exemption: audio_like_api.h does not exist, on purpose.
 * subcheck-allow-diagnostics: the audio library's header is missing
 * subcheck-expect-module: name=_audio_like init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>
#include "audio_like_api.h"

static PyObject *stream_callback = NULL;  // expect: SI006

static PaError
audio_open_default(PaStreamParameters *params)
{
    PaError err = Pa_Audio_open_default(params);
    if (err != paNoError) {
        const PaHostErrorInfo *info = Pa_GetLastHostErrorInfo();
        PyErr_SetString(PyExc_OSError, info->errorText);
    }
    return err;
}

static PaError
audio_close(PaStream *stream)
{
    PaError err = Pa_Audio_close(stream);
    if (err != paNoError) {
        const PaHostErrorInfo *info = Pa_GetLastHostErrorInfo();
        PyErr_SetString(PyExc_OSError, info->errorText);
    }
    return err;
}

static PaError
audio_start(PaStream *stream)
{
    PaError err = Pa_Audio_start(stream);
    if (err != paNoError) {
        const PaHostErrorInfo *info = Pa_GetLastHostErrorInfo();
        PyErr_SetString(PyExc_OSError, info->errorText);
    }
    return err;
}

static PaError
audio_stop(PaStream *stream)
{
    PaError err = Pa_Audio_stop(stream);
    if (err != paNoError) {
        const PaHostErrorInfo *info = Pa_GetLastHostErrorInfo();
        PyErr_SetString(PyExc_OSError, info->errorText);
    }
    return err;
}

static PaError
audio_abort(PaStream *stream)
{
    PaError err = Pa_Audio_abort(stream);
    if (err != paNoError) {
        const PaHostErrorInfo *info = Pa_GetLastHostErrorInfo();
        PyErr_SetString(PyExc_OSError, info->errorText);
    }
    return err;
}

static PaError
audio_is_active(PaStream *stream)
{
    PaError err = Pa_Audio_is_active(stream);
    if (err != paNoError) {
        const PaHostErrorInfo *info = Pa_GetLastHostErrorInfo();
        PyErr_SetString(PyExc_OSError, info->errorText);
    }
    return err;
}

static PaError
audio_is_stopped(PaStream *stream)
{
    PaError err = Pa_Audio_is_stopped(stream);
    if (err != paNoError) {
        const PaHostErrorInfo *info = Pa_GetLastHostErrorInfo();
        PyErr_SetString(PyExc_OSError, info->errorText);
    }
    return err;
}

static PaError
audio_cpu_load(PaStream *stream)
{
    PaError err = Pa_Audio_cpu_load(stream);
    if (err != paNoError) {
        const PaHostErrorInfo *info = Pa_GetLastHostErrorInfo();
        PyErr_SetString(PyExc_OSError, info->errorText);
    }
    return err;
}

static PaError
audio_read_available(PaStream *stream)
{
    PaError err = Pa_Audio_read_available(stream);
    if (err != paNoError) {
        const PaHostErrorInfo *info = Pa_GetLastHostErrorInfo();
        PyErr_SetString(PyExc_OSError, info->errorText);
    }
    return err;
}

static PaError
audio_write_available(PaStream *stream)
{
    PaError err = Pa_Audio_write_available(stream);
    if (err != paNoError) {
        const PaHostErrorInfo *info = Pa_GetLastHostErrorInfo();
        PyErr_SetString(PyExc_OSError, info->errorText);
    }
    return err;
}

static PaError
audio_latency(PaStream *stream)
{
    PaError err = Pa_Audio_latency(stream);
    if (err != paNoError) {
        const PaHostErrorInfo *info = Pa_GetLastHostErrorInfo();
        PyErr_SetString(PyExc_OSError, info->errorText);
    }
    return err;
}

static PaError
audio_sample_size(PaSampleFormat format)
{
    PaError err = Pa_Audio_sample_size(format);
    if (err != paNoError) {
        const PaHostErrorInfo *info = Pa_GetLastHostErrorInfo();
        PyErr_SetString(PyExc_OSError, info->errorText);
    }
    return err;
}

static PaError
audio_device_count(PaHostApiIndex api)
{
    PaError err = Pa_Audio_device_count(api);
    if (err != paNoError) {
        const PaHostErrorInfo *info = Pa_GetLastHostErrorInfo();
        PyErr_SetString(PyExc_OSError, info->errorText);
    }
    return err;
}

/* Runs on the audio library's own thread. */
static int
on_audio(const void *input, void *output, unsigned long frames,
         const PaStreamCallbackTimeInfo *time_info, PaStreamCallbackFlags flags, void *data)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect: SI008 "decided by Pa_OpenDefaultStream, which it is handed to at line 187" "PortAudio's own audio thread"
    PyObject *result = PyObject_CallFunction(stream_callback, "k", frames);
    int status = result == NULL ? paAbort : paContinue;
    Py_XDECREF(result);
    PyGILState_Release(gil);  // expect: SI008
    return status;
}

static PyObject *
set_callback(PyObject *self, PyObject *callback)
{
    Py_XSETREF(stream_callback, Py_NewRef(callback));
    Py_RETURN_NONE;
}

static PyObject *
open_stream(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PaStream *stream = NULL;
    PaError err = Pa_OpenDefaultStream(&stream, 0, 2, paFloat32, 44100, 256,
                                       stream_callback ? on_audio : NULL, NULL);
    if (err != paNoError) {
        PyErr_SetString(PyExc_OSError, "cannot open the stream");
        return NULL;
    }
    return PyLong_FromVoidPtr(stream);
}

static PyMethodDef audio_methods[] = {
    {"set_callback", set_callback, METH_O, NULL},
    {"open_stream", open_stream, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef audio_def = {
    PyModuleDef_HEAD_INIT, "_audio_like", NULL, -1, audio_methods,
};

PyMODINIT_FUNC
PyInit__audio_like(void)  // expect: FT001
{
    return PyModule_Create(&audio_def);  // expect: SI001
}
