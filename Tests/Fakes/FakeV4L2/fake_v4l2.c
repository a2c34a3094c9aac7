// A V4L2 camera for machines without one: an LD_PRELOAD library that answers the kernel's V4L2
// ioctls for one device path, so `kioskd cameras` and `kioskd run --camera` run their real code
// (the structs of <linux/videodev2.h>, REQBUFS/QUERYBUF/mmap/QBUF/DQBUF, poll) against it.
// Built by the tests with `cc -shared -fPIC`; never part of the product.
//
//   FAKE_V4L2_DEVICE       the path it answers for (nothing is created there)
//   FAKE_V4L2_SIZE         WIDTHxHEIGHT, the one size it offers (default 640x480)
//   FAKE_V4L2_GRAY         raw gray frames of that size back to back: what GREY and YUYV show
//   FAKE_V4L2_MJPEG        JPEG images back to back: what MJPG shows
//   FAKE_V4L2_UNPLUG_AFTER after this many frames the camera is unplugged: DQBUF and poll fail
//                          with ENODEV, and the next FAKE_V4L2_UNPLUG_OPENS opens (default 2)
//                          fail with ENOENT; then it is back.
//
// Frames come in real time at the rate asked with S_PARM (30 or 15 fps); frames due while no
// buffer is queued are dropped and the sequence number skips them, as a driver does.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BUFFERS 4
#define GREY v4l2_fourcc('G', 'R', 'E', 'Y')
#define YUYV v4l2_fourcc('Y', 'U', 'Y', 'V')
#define MJPG v4l2_fourcc('M', 'J', 'P', 'G')
#define H264 v4l2_fourcc('H', '2', '6', '4')

static int fake_fd = -1;
static unsigned width = 640, height = 480, fps = 30, pixelformat = MJPG;
static int streaming, unplugged, failed_opens, queued[BUFFERS], done[BUFFERS], done_count;
static unsigned requested, done_order[BUFFERS], delivered_total;
static uint32_t sequence_next, sequence_of[BUFFERS], used_of[BUFFERS];
static unsigned char *buffer_memory[BUFFERS];
static struct timespec stream_start;
static unsigned char *gray_frames, *jpeg_data;
static size_t gray_count, jpeg_size, jpeg_count, *jpeg_offsets;

static size_t buffer_length(void) { return (size_t)width * height * 2 + 4096; }

static void load(void) {
    static int loaded;
    if (loaded) return;
    loaded = 1;
    const char *size = getenv("FAKE_V4L2_SIZE");
    if (size) sscanf(size, "%ux%u", &width, &height);
    const char *gray = getenv("FAKE_V4L2_GRAY");
    if (gray) {
        FILE *f = fopen(gray, "rb");
        if (f) {
            fseek(f, 0, SEEK_END);
            long n = ftell(f);
            fseek(f, 0, SEEK_SET);
            gray_frames = malloc(n > 0 ? n : 1);
            gray_count = fread(gray_frames, 1, n, f) / ((size_t)width * height);
            fclose(f);
        }
    }
    const char *mjpeg = getenv("FAKE_V4L2_MJPEG");
    if (mjpeg) {
        FILE *f = fopen(mjpeg, "rb");
        if (f) {
            fseek(f, 0, SEEK_END);
            long n = ftell(f);
            fseek(f, 0, SEEK_SET);
            jpeg_data = malloc(n > 0 ? n : 1);
            jpeg_size = fread(jpeg_data, 1, n, f);
            fclose(f);
            jpeg_offsets = malloc(sizeof(size_t) * (jpeg_size / 2 + 2));
            for (size_t i = 0; i + 1 < jpeg_size; i++)
                if (jpeg_data[i] == 0xFF && jpeg_data[i + 1] == 0xD8) jpeg_offsets[jpeg_count++] = i;
            jpeg_offsets[jpeg_count] = jpeg_size;
        }
    }
}

static int is_fake_path(const char *path) {
    const char *device = getenv("FAKE_V4L2_DEVICE");
    return device && path && strcmp(path, device) == 0;
}

static long unplug_after(void) {
    const char *value = getenv("FAKE_V4L2_UNPLUG_AFTER");
    return value ? atol(value) : -1;
}

static int open_fake(void) {
    load();
    if (unplugged) {
        if (failed_opens > 0) {
            failed_opens--;
            errno = ENOENT;
            return -1;
        }
        unplugged = 0;  // plugged in again
        delivered_total = 0;
        setenv("FAKE_V4L2_UNPLUG_AFTER", "-1", 1);
    }
    int (*real_open)(const char *, int, ...) = dlsym(RTLD_NEXT, "open");
    fake_fd = real_open("/dev/null", O_RDWR | O_CLOEXEC);
    streaming = 0;
    requested = 0;
    return fake_fd;
}

int open(const char *path, int flags, ...) {
    if (is_fake_path(path)) return open_fake();
    va_list args;
    va_start(args, flags);
    mode_t mode = va_arg(args, mode_t);
    va_end(args);
    int (*real)(const char *, int, ...) = dlsym(RTLD_NEXT, "open");
    return real(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    if (is_fake_path(path)) return open_fake();
    va_list args;
    va_start(args, flags);
    mode_t mode = va_arg(args, mode_t);
    va_end(args);
    int (*real)(const char *, int, ...) = dlsym(RTLD_NEXT, "open64");
    return real(path, flags, mode);
}

int close(int fd) {
    if (fd == fake_fd && fd >= 0) {
        fake_fd = -1;
        streaming = 0;
    }
    int (*real)(int) = dlsym(RTLD_NEXT, "close");
    return real(fd);
}

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

static void fill(int index, uint32_t sequence) {
    unsigned char *target = buffer_memory[index];
    size_t pixels = (size_t)width * height;
    if (pixelformat == MJPG) {
        if (jpeg_count == 0) { used_of[index] = 0; return; }
        size_t frame = sequence % jpeg_count;
        size_t length = jpeg_offsets[frame + 1] - jpeg_offsets[frame];
        if (length > buffer_length()) length = buffer_length();
        memcpy(target, jpeg_data + jpeg_offsets[frame], length);
        used_of[index] = (uint32_t)length;
    } else {
        const unsigned char *source = gray_count ? gray_frames + (sequence % gray_count) * pixels : NULL;
        if (pixelformat == GREY) {
            if (source) memcpy(target, source, pixels); else memset(target, 128, pixels);
            used_of[index] = (uint32_t)pixels;
        } else {
            for (size_t i = 0; i < pixels; i++) {
                target[2 * i] = source ? source[i] : 128;
                target[2 * i + 1] = 128;
            }
            used_of[index] = (uint32_t)(2 * pixels);
        }
    }
    sequence_of[index] = sequence;
}

// Frames due since the stream started go into queued buffers, in order; with none queued they
// are lost.
static void advance(void) {
    if (!streaming) return;
    uint32_t due = (uint32_t)(seconds_since(&stream_start) * fps) + 1;
    while (sequence_next < due) {
        int free_index = -1;
        for (int i = 0; i < (int)requested; i++) if (queued[i]) { free_index = i; break; }
        if (free_index >= 0) {
            fill(free_index, sequence_next);
            queued[free_index] = 0;
            done[free_index] = 1;
            done_order[done_count++] = free_index;
        }
        sequence_next++;
    }
}

static int fake_ioctl(unsigned long request, void *argument) {
    switch (request) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *cap = argument;
        memset(cap, 0, sizeof *cap);
        strcpy((char *)cap->driver, "fake_v4l2");
        strcpy((char *)cap->card, "Fake UVC Camera");
        strcpy((char *)cap->bus_info, "usb-fake-1");
        cap->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
        cap->capabilities = cap->device_caps | V4L2_CAP_DEVICE_CAPS;
        return 0;
    }
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *desc = argument;
        static const unsigned formats[] = {MJPG, YUYV, GREY, H264};
        static const char *names[] = {"Motion-JPEG", "YUYV 4:2:2", "8-bit Greyscale", "H.264"};
        if (desc->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || desc->index >= 4) { errno = EINVAL; return -1; }
        unsigned index = desc->index;
        memset(desc, 0, sizeof *desc);
        desc->index = index;
        desc->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        desc->pixelformat = formats[index];
        strcpy((char *)desc->description, names[index]);
        return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES: {
        struct v4l2_frmsizeenum *size = argument;
        if (size->index > 0) { errno = EINVAL; return -1; }
        size->type = V4L2_FRMSIZE_TYPE_DISCRETE;
        size->discrete.width = width;
        size->discrete.height = height;
        return 0;
    }
    case VIDIOC_ENUM_FRAMEINTERVALS: {
        struct v4l2_frmivalenum *interval = argument;
        if (interval->index > 1 || interval->width != width || interval->height != height) { errno = EINVAL; return -1; }
        interval->type = V4L2_FRMIVAL_TYPE_DISCRETE;
        interval->discrete.numerator = 1;
        interval->discrete.denominator = interval->index == 0 ? 30 : 15;
        return 0;
    }
    case VIDIOC_S_FMT:
    case VIDIOC_G_FMT: {
        struct v4l2_format *format = argument;
        if (format->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) { errno = EINVAL; return -1; }
        if (request == VIDIOC_S_FMT) {
            if (streaming) { errno = EBUSY; return -1; }
            unsigned asked = format->fmt.pix.pixelformat;
            pixelformat = (asked == GREY || asked == YUYV || asked == MJPG) ? asked : MJPG;
        }
        // The one size there is, whatever was asked: drivers round to what they have.
        format->fmt.pix.width = width;
        format->fmt.pix.height = height;
        format->fmt.pix.pixelformat = pixelformat;
        format->fmt.pix.field = V4L2_FIELD_NONE;
        format->fmt.pix.bytesperline = pixelformat == YUYV ? 2 * width : pixelformat == GREY ? width : 0;
        format->fmt.pix.sizeimage = (unsigned)buffer_length();
        return 0;
    }
    case VIDIOC_G_PARM:
    case VIDIOC_S_PARM: {
        struct v4l2_streamparm *parm = argument;
        if (request == VIDIOC_S_PARM) {
            struct v4l2_fract *t = &parm->parm.capture.timeperframe;
            unsigned asked = t->numerator ? t->denominator / t->numerator : 30;
            fps = asked >= 23 ? 30 : 15;
        }
        parm->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
        parm->parm.capture.timeperframe.numerator = 1;
        parm->parm.capture.timeperframe.denominator = fps;
        return 0;
    }
    case VIDIOC_REQBUFS: {
        struct v4l2_requestbuffers *request_buffers = argument;
        if (request_buffers->memory != V4L2_MEMORY_MMAP) { errno = EINVAL; return -1; }
        requested = request_buffers->count > BUFFERS ? BUFFERS : request_buffers->count;
        request_buffers->count = requested;
        for (int i = 0; i < BUFFERS; i++) { queued[i] = 0; done[i] = 0; }
        done_count = 0;
        return 0;
    }
    case VIDIOC_QUERYBUF: {
        struct v4l2_buffer *buffer = argument;
        if (buffer->index >= requested) { errno = EINVAL; return -1; }
        buffer->length = (unsigned)buffer_length();
        buffer->m.offset = buffer->index * (unsigned)((buffer_length() + 4095) / 4096 * 4096);
        return 0;
    }
    case VIDIOC_QBUF: {
        struct v4l2_buffer *buffer = argument;
        if (buffer->index >= requested || queued[buffer->index] || done[buffer->index]) { errno = EINVAL; return -1; }
        queued[buffer->index] = 1;
        return 0;
    }
    case VIDIOC_DQBUF: {
        struct v4l2_buffer *buffer = argument;
        if (unplugged) { errno = ENODEV; return -1; }
        advance();
        if (done_count == 0) { errno = EAGAIN; return -1; }
        long limit = unplug_after();
        if (limit >= 0 && delivered_total >= (unsigned long)limit) {
            unplugged = 1;
            const char *opens = getenv("FAKE_V4L2_UNPLUG_OPENS");
            failed_opens = opens ? atoi(opens) : 2;
            errno = ENODEV;
            return -1;
        }
        int index = done_order[0];
        memmove(done_order, done_order + 1, sizeof(unsigned) * (BUFFERS - 1));
        done_count--;
        done[index] = 0;
        buffer->index = index;
        buffer->bytesused = used_of[index];
        buffer->sequence = sequence_of[index];
        buffer->flags = V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_DONE;
        buffer->field = V4L2_FIELD_NONE;
        delivered_total++;
        return 0;
    }
    case VIDIOC_STREAMON:
        streaming = 1;
        sequence_next = 0;
        clock_gettime(CLOCK_MONOTONIC, &stream_start);
        return 0;
    case VIDIOC_STREAMOFF:
        streaming = 0;
        for (int i = 0; i < BUFFERS; i++) { queued[i] = 0; done[i] = 0; }
        done_count = 0;
        return 0;
    default:
        errno = ENOTTY;
        return -1;
    }
}

int ioctl(int fd, unsigned long request, ...) {
    va_list args;
    va_start(args, request);
    void *argument = va_arg(args, void *);
    va_end(args);
    if (fd == fake_fd && fd >= 0) return fake_ioctl(request, argument);
    int (*real)(int, unsigned long, ...) = dlsym(RTLD_NEXT, "ioctl");
    return real(fd, request, argument);
}

void *mmap(void *address, size_t length, int protection, int flags, int fd, off_t offset) {
    if (fd == fake_fd && fd >= 0) {
        size_t slot = (size_t)offset / ((buffer_length() + 4095) / 4096 * 4096);
        if (slot >= BUFFERS || length < buffer_length()) { errno = EINVAL; return MAP_FAILED; }
        void *memory = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory != MAP_FAILED) buffer_memory[slot] = memory;
        return memory;
    }
    void *(*real)(void *, size_t, int, int, int, off_t) = dlsym(RTLD_NEXT, "mmap");
    return real(address, length, protection, flags, fd, offset);
}

void *mmap64(void *address, size_t length, int protection, int flags, int fd, off_t offset) {
    return mmap(address, length, protection, flags, fd, offset);
}

// A wait on the camera returns when its next frame is due (or at once when one is waiting, or
// with POLLERR once it is unplugged).
int poll(struct pollfd *fds, nfds_t count, int timeout) {
    if (count == 1 && fds[0].fd == fake_fd && fake_fd >= 0) {
        if (unplugged) { fds[0].revents = POLLERR | POLLHUP; return 1; }
        advance();
        if (done_count > 0) { fds[0].revents = POLLIN; return 1; }
        double wait = streaming ? (sequence_next / (double)fps - seconds_since(&stream_start)) : timeout / 1000.0;
        if (wait < 0) wait = 0;
        if (timeout >= 0 && wait * 1000 > timeout) {
            struct timespec pause = {timeout / 1000, (long)(timeout % 1000) * 1000000};
            nanosleep(&pause, NULL);
            fds[0].revents = 0;
            return 0;
        }
        struct timespec pause = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
        nanosleep(&pause, NULL);
        advance();
        fds[0].revents = done_count > 0 ? POLLIN : 0;
        return done_count > 0 ? 1 : 0;
    }
    int (*real)(struct pollfd *, nfds_t, int) = dlsym(RTLD_NEXT, "poll");
    return real(fds, count, timeout);
}
