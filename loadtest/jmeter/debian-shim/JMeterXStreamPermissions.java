// Shim for Debian's jmeter 2.13 only; real JMeter 5 needs nothing of this. See ../README.md.
//
// Debian builds JMeter 2.13 against its own libxstream-java (1.4.20). Since XStream 1.4.18 an
// XStream instance refuses every class that was not explicitly allowed, and JMeter 2.13 (written
// for XStream 1.4.8) allows none, so loading any plan fails with
//   ForbiddenClassException: org.apache.jmeter.save.ScriptWrapper
//
// JMeter's saveservice.properties registers converters by class name: a line
// `_ClassName=collection` makes SaveService call `new ClassName(mapper)` once for each of its two
// XStream instances (plans and XML results) while it initialises, before any file is read. This
// class uses that hook to add one permission, JMeter's own packages, to the mapper's security
// layer. It converts nothing itself (canConvert is always false).
//
// Compiled by scripts/check-jmeter.sh into .local/jmeter/shim/ and put on JMeter's classpath with
// -Juser.classpath=...; the copied saveservice.properties with the extra line is selected with
// -Jsaveservice_properties=... (a path that JMeter appends to jmeter.home).

import com.thoughtworks.xstream.converters.Converter;
import com.thoughtworks.xstream.converters.MarshallingContext;
import com.thoughtworks.xstream.converters.UnmarshallingContext;
import com.thoughtworks.xstream.io.HierarchicalStreamReader;
import com.thoughtworks.xstream.io.HierarchicalStreamWriter;
import com.thoughtworks.xstream.mapper.Mapper;
import com.thoughtworks.xstream.mapper.SecurityMapper;
import com.thoughtworks.xstream.security.WildcardTypePermission;

/** Allows JMeter's own classes in the XStream instance whose mapper it is given. */
public final class JMeterXStreamPermissions implements Converter {
    /** Class-name patterns JMeter's plans and results are made of. */
    private static final String[] ALLOWED = {"org.apache.jmeter.**", "org.apache.jorphan.**"};

    /** Called by SaveService with the XStream instance's mapper. */
    public JMeterXStreamPermissions(Mapper mapper) {
        SecurityMapper security = (SecurityMapper) mapper.lookupMapperOfType(SecurityMapper.class);
        if (security == null) {
            // An XStream without a security layer (older than 1.4.7) allows everything already.
            return;
        }
        security.addPermission(new WildcardTypePermission(ALLOWED));
    }

    @Override
    @SuppressWarnings("rawtypes")
    public boolean canConvert(Class type) {
        return false;
    }

    @Override
    public void marshal(Object source, HierarchicalStreamWriter writer, MarshallingContext context) {
        throw new UnsupportedOperationException("permission shim, not a converter");
    }

    @Override
    public Object unmarshal(HierarchicalStreamReader reader, UnmarshallingContext context) {
        throw new UnsupportedOperationException("permission shim, not a converter");
    }
}
